#!/usr/bin/env bash
# Wrap flowdesk.app in a .dmg; sign and notarise when the environment provides the identity.
#   make_dmg.sh APP VERSION OUTDIR
#   FLOWDESK_CODESIGN_IDENTITY  "Developer ID Application: …"   (signing skipped when unset)
#   FLOWDESK_NOTARY_APPLE_ID, FLOWDESK_NOTARY_TEAM_ID, FLOWDESK_NOTARY_PASSWORD   (notarisation skipped when unset)
set -euo pipefail
app="$1"; version="$2"; out="$3"
here="$(cd "$(dirname "$0")" && pwd)"
python3 "$here/patch_plist.py" "$app/Contents/Info.plist" "$version"
if [ -n "${FLOWDESK_CODESIGN_IDENTITY:-}" ]; then
  codesign --deep --force --options runtime --timestamp \
    --entitlements "$here/entitlements.plist" --sign "$FLOWDESK_CODESIGN_IDENTITY" "$app"
  codesign --verify --deep --strict "$app"
else
  echo "FLOWDESK_CODESIGN_IDENTITY not set: the app is not signed"
fi
dmg="$out/flowdesk-$version.dmg"
rm -f "$dmg"
hdiutil create -volname "flowdesk $version" -srcfolder "$app" -ov -format UDZO "$dmg"
if [ -n "${FLOWDESK_CODESIGN_IDENTITY:-}" ]; then
  codesign --force --sign "$FLOWDESK_CODESIGN_IDENTITY" "$dmg"
fi
if [ -n "${FLOWDESK_NOTARY_APPLE_ID:-}" ] && [ -n "${FLOWDESK_NOTARY_TEAM_ID:-}" ] && [ -n "${FLOWDESK_NOTARY_PASSWORD:-}" ]; then
  xcrun notarytool submit "$dmg" --apple-id "$FLOWDESK_NOTARY_APPLE_ID" --team-id "$FLOWDESK_NOTARY_TEAM_ID" \
    --password "$FLOWDESK_NOTARY_PASSWORD" --wait
  xcrun stapler staple "$dmg"
else
  echo "notarisation variables not set: the dmg is not notarised"
fi
