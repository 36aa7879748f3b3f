; Inno Setup script for flowdesk: per-user install (no admin rights), Start-menu entry,
; .flow.json association, clean uninstall that keeps the user's data unless asked.
; Built by packaging/build.py:  iscc /DAppVersion=X /DSourceDir=dist\flowdesk /Odist flowdesk.iss

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\flowdesk"
#endif

[Setup]
AppId={{6B0E2C8E-6F4D-4B8A-9D7C-F10D35C0FFEE}
AppName=flowdesk
AppVersion={#AppVersion}
AppPublisher=flowdesk contributors
DefaultDirName={localappdata}\Programs\flowdesk
DefaultGroupName=flowdesk
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputBaseFilename=flowdesk-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
UninstallDisplayIcon={app}\flowdesk.exe
WizardStyle=modern

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\flowdesk"; Filename: "{app}\flowdesk.exe"
Name: "{group}\Uninstall flowdesk"; Filename: "{uninstallexe}"

[Registry]
; .flow.json opens in flowdesk (per user: HKCU\Software\Classes)
Root: HKCU; Subkey: "Software\Classes\.flow.json"; ValueType: string; ValueName: ""; ValueData: "flowdesk.flow"; Flags: uninsdeletevalue
Root: HKCU; Subkey: "Software\Classes\flowdesk.flow"; ValueType: string; ValueName: ""; ValueData: "flowdesk flow"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\flowdesk.flow\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\flowdesk.exe,0"
Root: HKCU; Subkey: "Software\Classes\flowdesk.flow\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\flowdesk.exe"" gui --open ""%1"""

[Run]
Filename: "{app}\flowdesk.exe"; Description: "Start flowdesk"; Flags: nowait postinstall skipifsilent

[Code]
{ The user's connections, flows and run history live in %LOCALAPPDATA%\flowdesk. They are kept on
  uninstall unless the user ticks the box. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\flowdesk');
    if DirExists(DataDir) then
      if MsgBox('Also delete your flowdesk data (connections, flows, run history) in ' + DataDir + '?',
                mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES then
        DelTree(DataDir, True, True, True);
  end;
end;
