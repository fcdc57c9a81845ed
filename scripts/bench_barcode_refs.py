#!/usr/bin/env python3
"""Reference decoders for the barcode benchmark (crates/scan/benches/decoders.rs).

Reads every image of a manifest (tab-separated, first column a path relative
to the manifest's folder) with zxing-cpp (PyPI `zxing-cpp`) and zbar (the
libzbar of Debian's zbar-tools, through PyPI `pyzbar`), timing the decode
call only (image loading and grey conversion excluded, as for ours), and
prints one JSON object per image and decoder:
{"decoder", "path", "ms", "codes": [[FORMAT, TEXT], ...]} with FORMAT in
the names of `stockroom-cli decode`. Install the packages with
scripts/bench-deps.
"""
import json
import sys
import time
from pathlib import Path

from PIL import Image

ZXING_NAMES = {"EAN13": "EAN_13", "EAN8": "EAN_8", "UPCA": "UPC_A", "UPCE": "UPC_E", "Code128": "CODE_128",
               "Code39": "CODE_39", "ITF": "ITF", "QRCode": "QR_CODE", "DataMatrix": "DATA_MATRIX"}
ZBAR_NAMES = {"EAN13": "EAN_13", "EAN8": "EAN_8", "UPCA": "UPC_A", "UPCE": "UPC_E", "CODE128": "CODE_128",
              "CODE39": "CODE_39", "I25": "ITF", "QRCODE": "QR_CODE"}


def decoders():
    found = []
    try:
        import zxingcpp

        from importlib.metadata import version

        formats = tuple(getattr(zxingcpp.BarcodeFormat, name) for name in ZXING_NAMES)

        def zxing(grey):
            pixels, width, height = grey
            view = memoryview(pixels).cast("B", (height, width))
            return [(ZXING_NAMES.get(r.format.name, r.format.name), r.text)
                    for r in zxingcpp.read_barcodes(view, formats=formats)]

        found.append(("zxing-cpp " + version("zxing-cpp"), zxing))
    except ImportError:
        print("zxing-cpp not installed (scripts/bench-deps)", file=sys.stderr)
    try:
        from pyzbar import pyzbar

        symbols = [getattr(pyzbar.ZBarSymbol, name) for name in ZBAR_NAMES]

        def zbar(grey):
            return [(ZBAR_NAMES.get(r.type, r.type), r.data.decode("utf-8", "replace"))
                    for r in pyzbar.decode(grey, symbols=symbols)]

        found.append(("zbar", zbar))
    except (ImportError, OSError):
        print("pyzbar/libzbar not installed (scripts/bench-deps)", file=sys.stderr)
    return found


def main():
    manifest = Path(sys.argv[1])
    readers = decoders()
    for line in manifest.read_text().splitlines()[1:]:
        path = line.split("\t")[0]
        image = Image.open(manifest.parent / path).convert("L")
        grey = (image.tobytes(), image.width, image.height)
        for name, read in readers:
            started = time.perf_counter()
            codes = read(grey)
            ms = (time.perf_counter() - started) * 1000
            print(json.dumps({"decoder": name, "path": path, "ms": ms, "codes": codes}))


if __name__ == "__main__":
    main()
