; Inno Setup 6 recipe: a per-user installer for the bundle folder built on Windows by
; `bash packaging/build --no-packages` (PyInstaller output in build\bundle\dist\bridgekeeper).
; Not run on the development machine (Linux); the release workflow runs it:
;
;   iscc /DAppVersion=0.1.0 /DSourceDir=build\bundle\dist\bridgekeeper ^
;        /DChromeOrigin=chrome-extension://<id>/ /DFirefoxId=<add-on id> ^
;        /DOutputDir=build\bundle packaging\windows\bridgekeeper.iss
;
; It installs into %LOCALAPPDATA%\Programs\Bridgekeeper without elevation, writes the host
; manifests beside the program, registers them under HKCU for Chrome, Chromium, Edge and
; Firefox (the keys browsers read on Windows), optionally starts the app at login (the
; same Run value the tray's "Start at login" uses), and removes all of it on uninstall.

#ifndef AppVersion
  #error Pass /DAppVersion=X.Y.Z
#endif
#ifndef SourceDir
  #define SourceDir "..\..\build\bundle\dist\bridgekeeper"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\build\bundle"
#endif
#ifndef ChromeOrigin
  #error Pass /DChromeOrigin=chrome-extension://ID/ (the demo extension's, or your own)
#endif
#ifndef FirefoxId
  #error Pass /DFirefoxId=ADDON@ID
#endif
#define HostName "org.bridgekeeper.host"

[Setup]
AppId={{6B0E3C52-4F7A-4C1B-9D0E-2B7B1D5C8A41}
AppName=Bridgekeeper
AppVersion={#AppVersion}
AppPublisher=Bridgekeeper maintainers
DefaultDirName={localappdata}\Programs\Bridgekeeper
DefaultGroupName=Bridgekeeper
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
OutputDir={#OutputDir}
OutputBaseFilename=bridgekeeper-{#AppVersion}-windows-x64-setup
Compression=lzma2
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
UninstallDisplayIcon={app}\bridgekeeper.exe
CloseApplications=yes

[Tasks]
Name: "autostart"; Description: "Start Bridgekeeper when I log in"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{userprograms}\Bridgekeeper"; Filename: "{app}\bridgekeeper.exe"

[Registry]
; A native messaging host is registered by a key whose default value is the manifest path.
Root: HKCU; Subkey: "Software\Google\Chrome\NativeMessagingHosts\{#HostName}"; ValueType: string; ValueData: "{app}\{#HostName}.chromium.json"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Chromium\NativeMessagingHosts\{#HostName}"; ValueType: string; ValueData: "{app}\{#HostName}.chromium.json"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Microsoft\Edge\NativeMessagingHosts\{#HostName}"; ValueType: string; ValueData: "{app}\{#HostName}.chromium.json"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Mozilla\NativeMessagingHosts\{#HostName}"; ValueType: string; ValueData: "{app}\{#HostName}.firefox.json"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "Bridgekeeper"; ValueData: """{app}\bridgekeeper.exe"""; Tasks: autostart; Flags: uninsdeletevalue

[UninstallDelete]
Type: files; Name: "{app}\{#HostName}.chromium.json"
Type: files; Name: "{app}\{#HostName}.firefox.json"

[Run]
Filename: "{app}\bridgekeeper.exe"; Description: "Start Bridgekeeper now"; Flags: nowait postinstall skipifsilent

[Code]
function JsonString(Value: String): String;
begin
  StringChangeEx(Value, '\', '\\', True);
  StringChangeEx(Value, '"', '\"', True);
  Result := '"' + Value + '"';
end;

procedure WriteManifest(FileName, AllowKey, Allowed: String);
var
  Text: String;
begin
  Text := '{' + #13#10 +
    '  "name": "{#HostName}",' + #13#10 +
    '  "description": "Bridgekeeper: desktop prompts and OS keychain for browser extensions",' + #13#10 +
    '  "path": ' + JsonString(ExpandConstant('{app}\bridgekeeper-host.exe')) + ',' + #13#10 +
    '  "type": "stdio",' + #13#10 +
    '  "' + AllowKey + '": [' + JsonString(Allowed) + ']' + #13#10 +
    '}' + #13#10;
  if not SaveStringToFile(ExpandConstant('{app}\' + FileName), Text, False) then
    RaiseException('Cannot write ' + FileName);
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssPostInstall then
  begin
    WriteManifest('{#HostName}.chromium.json', 'allowed_origins', '{#ChromeOrigin}');
    WriteManifest('{#HostName}.firefox.json', 'allowed_extensions', '{#FirefoxId}');
  end;
end;
