#!/usr/bin/env python3
"""Peers for the workbook benchmark: reads every cell of an .xlsx (openpyxl, read-only) and
times writing the same cells, sheet by sheet, with XlsxWriter (constant memory) and with
openpyxl (write-only). Prints `name<TAB>seconds` per writer. Used by load_national.py."""

import sys
import tempfile
import time

import openpyxl
import xlsxwriter


def read(path):
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets = [(ws.title, [list(row) for row in ws.iter_rows(values_only=True)])
              for ws in book.worksheets]
    book.close()
    return sheets


def with_xlsxwriter(sheets, target):
    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    for title, rows in sheets:
        ws = book.add_worksheet(title)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
    book.close()


def with_openpyxl(sheets, target):
    book = openpyxl.Workbook(write_only=True)
    for title, rows in sheets:
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
    book.save(target)


def main():
    sheets = read(sys.argv[1])
    for name, writer in (("XlsxWriter", with_xlsxwriter), ("openpyxl (write-only)", with_openpyxl)):
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as f:
            started = time.perf_counter()
            writer(sheets, f.name)
            print(f"{name}\t{time.perf_counter() - started:.3f}")


if __name__ == "__main__":
    main()
