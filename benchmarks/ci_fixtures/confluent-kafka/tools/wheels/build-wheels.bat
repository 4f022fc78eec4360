@rem Windows wheels against a prebuilt librdkafka: arch and wheel platform tag as arguments.
set WHEELARCH=%1
set CIBW_ARCHS=%WHEELARCH%
set CIBW_BUILD=cp3*-%2
python -m cibuildwheel --platform windows --output-dir %4
