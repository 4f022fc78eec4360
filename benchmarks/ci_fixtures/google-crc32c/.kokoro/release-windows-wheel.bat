@rem Windows release: build the wheels, then hand them to the uploader.
cd /d %~dp0
cd ..
call scripts\windows\build.bat || goto :error
call py -3 -m pip install --upgrade twine || goto :error
goto :EOF
:error
exit /b 1
