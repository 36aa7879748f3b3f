"""Complete the Info.plist PyInstaller wrote: version, bundle id, minimum macOS, the .flow.json document type."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path


def main() -> None:
    path, version = Path(sys.argv[1]), sys.argv[2]
    info = plistlib.loads(path.read_bytes())
    info.update(
        {
            "CFBundleIdentifier": "org.flowdesk.app",
            "CFBundleName": "flowdesk",
            "CFBundleDisplayName": "flowdesk",
            "CFBundleShortVersionString": version,
            "CFBundleVersion": version,
            "LSMinimumSystemVersion": "13.0",  # Qt 6.11 needs macOS 13; Qt 6.12 needs 14
            "NSHighResolutionCapable": True,
            "NSRequiresAquaSystemAppearance": False,
            "CFBundleDocumentTypes": [
                {
                    "CFBundleTypeName": "flowdesk flow",
                    "CFBundleTypeRole": "Editor",
                    "LSHandlerRank": "Owner",
                    "LSItemContentTypes": ["org.flowdesk.flow"],
                }
            ],
            "UTExportedTypeDeclarations": [
                {
                    "UTTypeIdentifier": "org.flowdesk.flow",
                    "UTTypeDescription": "flowdesk flow",
                    "UTTypeConformsTo": ["public.json"],
                    "UTTypeTagSpecification": {"public.filename-extension": ["flow.json"]},
                }
            ],
        }
    )
    path.write_bytes(plistlib.dumps(info))


if __name__ == "__main__":
    main()
