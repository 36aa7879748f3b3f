"""Build the frozen flowdesk app (one folder) with PyInstaller, then wrap it for the platform.

usage: python packaging/build.py [--skip-installer] [--self-test]

* Linux: ``dist/flowdesk/`` and ``dist/flowdesk-<version>-linux-x86_64.tar.gz``
* Windows: ``dist/flowdesk/`` and, when Inno Setup's ``iscc`` is on PATH, ``dist/flowdesk-<version>-setup.exe``
* macOS: ``dist/flowdesk.app`` and ``dist/flowdesk-<version>.dmg`` (signed and notarised when the
  ``FLOWDESK_CODESIGN_IDENTITY`` / ``FLOWDESK_NOTARY_*`` variables are set; skipped otherwise)

Why PyInstaller: it is the most travelled road with PySide6 6.x, its hooks handle Qt plugins, and it needs no
C toolchain (Nuitka, behind pyside6-deploy, compiles to C); see packaging/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DIST = ROOT / "dist"
BUILD = ROOT / "build" / "pyinstaller"

sys.path.insert(0, str(ROOT))
from flowdesk import __version__  # noqa: E402

# Qt modules flowdesk does not use: excluded to keep the download small.
QT_EXCLUDES = [
    "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtWebEngineCore",
    "PySide6.QtWebEngineWidgets", "PySide6.QtPdf", "PySide6.QtMultimedia", "PySide6.QtOpenGL",
    "PySide6.QtOpenGLWidgets", "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtDBus", "PySide6.QtXml",
    "PySide6.QtConcurrent", "PySide6.QtPrintSupport", "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtUiTools",
]
PY_EXCLUDES = [
    "tkinter", "unittest", "pytest", "keyrings.alt", "httpx2", "IPython", "numpy", "pydoc_data",
    # development tools that plugins of our libraries can pull in (pydantic's mypy plugin, httpx's CLI)
    "mypy", "ast_serialize", "librt", "rich", "pygments", "click", "markdown_it",
]
HIDDEN = [
    "keyring.backends.SecretService", "keyring.backends.macOS", "keyring.backends.Windows",
    "keyring.backends.fail", "keyring.backends.chainer", "sqlalchemy.dialects.sqlite", "httpx_aiohttp",
    "jsonpath_ng.ext", "simpleeval", "alembic.runtime.migration", "alembic.ddl.sqlite", "logging.config",
]
# Qt plugin folders kept; everything else under PySide6/Qt/plugins is removed after the build. The GTK 3
# platform theme is dropped: it needs the system's GTK, and PyInstaller would bundle half of GTK's stack for it.
KEEP_PLUGINS = {"platforms", "styles", "imageformats", "iconengines", "platformthemes", "xcbglintegrations", "tls"}
# The Wayland platform plugin is dropped too (without its shell-integration plugins it cannot open a window;
# on a Wayland desktop Qt then uses XWayland through xcb), and image formats the app never reads.
DROP_PLUGIN_FILES = (
    "libqgtk3", "libqwayland", "libqminimalegl", "libqeglfs",
    "libqgif", "libqjpeg", "libqtga", "libqtiff", "libqwbmp", "libqwebp",
)
# Loaded with dlopen, so no ELF file names them as NEEDED: never pruned.
DLOPENED = ("libpython", "libdbus-1", "libssl", "libcrypto")
KEEP_PLATFORMS = ("offscreen", "xcb", "wayland", "minimal", "windows", "cocoa")


def run(cmd: list[str], **kw: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


def pyinstaller() -> Path:
    sep = os.pathsep
    data = [
        f"{ROOT / 'resources'}{sep}flowdesk/_resources",
        f"{ROOT / 'flowdesk' / 'store' / 'migrations'}{sep}flowdesk/store/migrations",
    ]
    cmd = [
        sys.executable, "-m", "PyInstaller", str(HERE / "flowdesk_entry.py"),
        "--name", "flowdesk", "--noconfirm", "--clean", "--onedir",
        "--distpath", str(DIST), "--workpath", str(BUILD), "--specpath", str(BUILD),
        "--collect-submodules", "flowdesk",
    ]
    icon = HERE / ("flowdesk.ico" if sys.platform == "win32" else "flowdesk.icns")
    if icon.exists():
        cmd += ["--icon", str(icon)]
    if sys.platform == "darwin":
        cmd += ["--windowed", "--osx-bundle-identifier", "org.flowdesk.app"]
    if sys.platform != "win32":
        cmd += ["--strip"]  # debug symbols are most of libpython and of the Cython extensions
    for item in data:
        cmd += ["--add-data", item]
    for name in HIDDEN:
        cmd += ["--hidden-import", name]
    for name in QT_EXCLUDES + PY_EXCLUDES:
        cmd += ["--exclude-module", name]
    run(cmd, cwd=ROOT)
    return DIST / "flowdesk"


def trim(folder: Path) -> None:
    """Remove Qt plugins and libraries that flowdesk never loads."""
    for plugins in folder.rglob("PySide6/Qt/plugins"):
        for child in plugins.iterdir():
            if child.name not in KEEP_PLUGINS:
                shutil.rmtree(child, ignore_errors=True)
        platforms = plugins / "platforms"
        if platforms.exists():
            for lib in platforms.iterdir():
                if not any(p in lib.name for p in KEEP_PLATFORMS):
                    lib.unlink()
    for pattern in ("*Qt6Quick*", "*Qt6Qml*", "*Qt6Pdf*", "*Qt6WebEngine*", "*Qt6Network*", "*Qt6OpenGL*"):
        for lib in folder.rglob(pattern):
            if lib.is_file():
                lib.unlink()
    for translations in folder.rglob("PySide6/Qt/translations"):
        shutil.rmtree(translations, ignore_errors=True)
    for name in DROP_PLUGIN_FILES:
        for lib in folder.rglob(f"{name}*"):
            lib.unlink()
    if sys.platform.startswith("linux"):
        prune_libraries(folder / "_internal")


def _needed(elf: Path) -> set[str]:
    """The shared libraries an ELF file names as NEEDED (``readelf -d``)."""
    out = subprocess.run(["readelf", "-d", str(elf)], capture_output=True, text=True, check=False).stdout
    return {line.split("[", 1)[1].split("]", 1)[0] for line in out.splitlines() if "(NEEDED)" in line}


def prune_libraries(internal: Path) -> None:
    """Delete the system libraries PyInstaller copied next to the app that nothing left in the folder needs.

    Dropping Qt plugins (above) orphans the libraries PyInstaller collected for them; the closure of NEEDED
    entries from every remaining extension module, Qt library and plugin tells which ones still matter.
    """
    if shutil.which("readelf") is None:
        print("readelf not found: not pruning libraries", flush=True)
        return
    # Roots: Python extension modules, Qt plugins and what is dlopened. Candidates: every other shared
    # library, at the top of the folder or in Qt's lib folder (the top-level Qt names link to the latter).
    libraries: dict[str, list[Path]] = {}
    roots: list[Path] = []
    for path in internal.rglob("*.so*"):
        if not path.is_file():
            continue
        extension = ".cpython-" in path.name or path.name.endswith(".abi3.so") or not path.name.startswith("lib")
        if extension or "plugins" in path.parts or path.name.startswith(DLOPENED):
            roots.append(path)
        else:
            libraries.setdefault(path.name, []).append(path)
    keep: set[str] = set()
    todo = list(roots)
    while todo:
        for name in _needed(todo.pop()):
            if name in libraries and name not in keep:
                keep.add(name)
                todo.append(libraries[name][0])
    for name, paths in libraries.items():
        if name not in keep:
            print(f"pruned {name} (nothing needs it)", flush=True)
            for path in paths:
                path.unlink()


def size_mb(folder: Path) -> float:
    """Unpacked size; symlinks and hard links (PyInstaller links Qt's libraries) count once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for f in folder.rglob("*"):
        if f.is_symlink() or not f.is_file():
            continue
        st = f.stat()
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            total += st.st_size
    return total / 1e6


def installer(folder: Path) -> Path | None:
    system = platform.system()
    if system == "Linux":
        target = DIST / f"flowdesk-{__version__}-linux-{platform.machine()}.tar.gz"
        with tarfile.open(target, "w:gz") as tar:
            tar.add(folder, arcname="flowdesk")
        return target
    if system == "Windows":
        iscc = shutil.which("iscc") or shutil.which("ISCC")
        if iscc is None:
            print("Inno Setup (iscc) not found: skipping the installer", flush=True)
            return None
        script = str(HERE / "windows" / "flowdesk.iss")
        run([iscc, f"/DAppVersion={__version__}", f"/DSourceDir={folder}", f"/O{DIST}", script])
        return DIST / f"flowdesk-{__version__}-setup.exe"
    if system == "Darwin":
        run(["bash", str(HERE / "macos" / "make_dmg.sh"), str(DIST / "flowdesk.app"), __version__, str(DIST)])
        return DIST / f"flowdesk-{__version__}.dmg"
    return None


def self_test(folder: Path) -> None:
    exe = folder / ("flowdesk.exe" if sys.platform == "win32" else "flowdesk")
    if sys.platform == "darwin":
        exe = DIST / "flowdesk.app" / "Contents" / "MacOS" / "flowdesk"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    run([str(exe), "--version"], env=env, cwd=str(DIST))
    run([str(exe), "--self-test"], env=env, cwd=str(DIST))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-installer", action="store_true")
    parser.add_argument("--self-test", action="store_true", help="run the frozen app's self-test after building")
    args = parser.parse_args()
    started = time.perf_counter()
    folder = pyinstaller()
    trim(folder)
    print(f"built {folder} ({size_mb(folder):.0f} MB unpacked) in {time.perf_counter() - started:.0f} s", flush=True)
    if not args.skip_installer:
        made = installer(folder)
        if made is not None and made.exists():
            print(f"installer: {made} ({made.stat().st_size / 1e6:.0f} MB)", flush=True)
    if args.self_test:
        self_test(folder)


if __name__ == "__main__":
    main()
