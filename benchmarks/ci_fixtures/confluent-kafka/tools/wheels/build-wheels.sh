#!/bin/bash
# macOS and Linux wheels with cibuildwheel.
python3 -m cibuildwheel --output-dir "$2"
