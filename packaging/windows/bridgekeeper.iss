; Inno Setup 6 recipe: a per-user installer for the bundle folder built on Windows by
; `bash packaging/build --no-packages` (PyInstaller output in build\bundle\dist\bridgekeeper).
; The release workflow and the CI's Windows job run it:
;
;   iscc /DAppVersion=0.1.0 /DSourceDir=build\bundle\dist\bridgekeeper ^
;        [/DChromeOrigin=chrome-extension://<id>/ /DFirefoxId=<add-on id>] ^
;        /DOutputDir=build\bundle packaging\windows\bridgekeeper.iss
;
; It installs into %LOCALAPPDATA%\Programs\Bridgekeeper without elevation. The folder holds
; (host/launch.py, "the console decision"): bridgekeeper.exe, the console command line;
; bridgekeeperw.exe, the windowed tray app (Start menu, start at login); and
; bridgekeeper-host.exe, the console host browsers start.
;
; Browser registration is the app's own: after copying, the installer runs
; `bridgekeeper.exe install` (hidden), which writes the manifests (UTF-8, no byte-order
; mark) and the HKCU keys of every browser it finds, as on Linux; the uninstaller runs
; `bridgekeeper.exe uninstall`. One writer for manifests and keys, never a second copy
; here. With ChromeOrigin/FirefoxId that run also allows those extensions.

#ifndef AppVersion
  #error Pass /DAppVersion=X.Y.Z
#endif
#ifndef SourceDir
  #define SourceDir "..\..\build\bundle\dist\bridgekeeper"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\build\bundle"
#endif
#ifdef ChromeOrigin
  #define ChromeAllow "--extension """ + ChromeOrigin + "=Bridgekeeper demo"" "
#else
  #define ChromeAllow ""
#endif
#ifdef FirefoxId
  #define FirefoxAllow "--extension """ + FirefoxId + "=Bridgekeeper demo"" "
#else
  #define FirefoxAllow ""
#endif
#define Cli "bridgekeeper.exe"
#define TrayApp "bridgekeeperw.exe"

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
UninstallDisplayIcon={app}\{#TrayApp}
CloseApplications=yes
SetupLogging=yes

[Tasks]
Name: "autostart"; Description: "Start Bridgekeeper when I log in"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{userprograms}\Bridgekeeper"; Filename: "{app}\{#TrayApp}"

[Registry]
; The same Run value the tray's "Start at login" writes (app/system/autostart.py).
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "Bridgekeeper"; ValueData: """{app}\{#TrayApp}"""; Tasks: autostart; Flags: uninsdeletevalue

[Run]
Filename: "{app}\{#TrayApp}"; Description: "Start Bridgekeeper now"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; Removes the manifests and the HKCU keys that `install` wrote (only those naming ours).
Filename: "{app}\{#Cli}"; Parameters: "uninstall"; Flags: runhidden waituntilterminated; RunOnceId: "RemoveBrowserRegistration"

[Code]
procedure RegisterWithBrowsers();
var
  ResultCode: Integer;
  Command: String;
begin
  Command := ExpandConstant('{app}\{#Cli}');
  // SW_HIDE: the console program's console stays hidden; its output goes to the log.
  if not Exec(Command, 'install {#ChromeAllow}{#FirefoxAllow}', '', SW_HIDE,
              ewWaitUntilTerminated, ResultCode) then
    SuppressibleMsgBox('Bridgekeeper could not register with your browsers: ' +
      SysErrorMessage(ResultCode) + '. Run "' + Command + ' install" later.',
      mbError, MB_OK, IDOK)
  else if ResultCode <> 0 then
    SuppressibleMsgBox('Bridgekeeper found no browser to register with, or could not ' +
      'register with one. Once a browser is installed, run "' + Command + ' install"; "' +
      Command + ' doctor" says what is wrong.', mbInformation, MB_OK, IDOK);
  Log(Format('%s install exited with %d', [Command, ResultCode]));
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if CurStep = ssPostInstall then
    RegisterWithBrowsers();
end;
