"""Real PDF files of a chosen size, written by hand so that any PDF parser reads them."""

import zlib

from openpositions.enquiries.intake.cv_check import FLATE_MAX_BYTES


def pdf_of_size(size: int) -> bytes:
    """A valid one-page PDF of exactly `size` bytes (at least a few hundred), padded in its
    content stream with comment lines, as a scanned CV is padded with image data."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> /Contents 4 0 R >>",
    ]

    def assemble(stream: bytes) -> bytes:
        body = bytearray(head)
        offsets = []
        for number, obj in enumerate(
            [*objects, b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"],
            start=1,
        ):
            offsets.append(len(body))
            body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
        xref = len(body)
        body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
        body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(offsets) + 1,
            xref,
        )
        return bytes(body)

    overhead = len(assemble(b""))
    padding = size - overhead
    if padding < 0:
        raise ValueError(f"a PDF takes at least {overhead} bytes")
    line = b"%" + b"x" * 70 + b"\n"
    stream = line * (padding // len(line)) + b"%" * (padding % len(line))
    pdf = assemble(stream)
    # The /Length's digits grow with the stream: trim the padding by what they added.
    excess = len(pdf) - size
    if excess:
        pdf = assemble(stream[: len(stream) - excess])
    assert len(pdf) == size, (len(pdf), size)
    return pdf


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (1 is the catalog), with its cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def array_bomb(items: int) -> bytes:
    """One array of `items` small arrays: 7 MB that qpdf builds into 800 MB of objects."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Big 3 0 R >>",
            b"<< /Type /Pages /Kids [] /Count 0 >>",
            b"[" + b"[0]" * items + b"]",
        ]
    )


def object_stream_bomb(streams: int) -> bytes:
    """`streams` compressed object streams of 8 KB, each inflating to just under 8 MB.

    qpdf limits what one stream may inflate to, not what a file may: each stream passes, and
    reading every object inflates them all. 838 streams make the 6.9 MB file that took 33.5 s
    to check in the web worker.
    """
    # Most of each stream is the same run of spaces after its one object, deflated once: each
    # stream is its own start (header and object), flushed to a byte boundary, then that shared
    # run (deflate goes on from any byte boundary), then the checksum of the whole.
    # Just under what qpdf may inflate one stream to, as the CV check sets it.
    padding = b" " * (FLATE_MAX_BYTES - 1024)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated_padding = deflate.compress(padding) + deflate.flush()
    padding_checksum = zlib.adler32(padding)
    first_stream = 3  # 1 is the catalog, 2 the page tree.
    first_packed = first_stream + streams
    bodies = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    for index in range(streams):
        header = b"%d 0 " % (first_packed + index)
        start = header + b"<< >>"
        deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        checksum = adler32_of_both(zlib.adler32(start), padding_checksum, len(padding))
        data = (
            b"\x78\xda"  # zlib's header: deflate, the largest window, the best compression.
            + deflate.compress(start)
            + deflate.flush(zlib.Z_FULL_FLUSH)
            + deflated_padding
            + checksum.to_bytes(4, "big")
        )
        bodies.append(
            b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\n"
            b"stream\n%s\nendstream" % (len(header), len(data), data)
        )
    # Each packed object is listed in a cross-reference stream, which is how qpdf finds it.
    return xref_stream_pdf(bodies, {first_packed + i: first_stream + i for i in range(streams)})


def adler32_of_both(first: int, second: int, second_length: int) -> int:
    """The Adler-32 checksum of two pieces of data from each one's own (zlib's
    adler32_combine): the bomb's shared 8 MB is summed once, not once per stream."""
    modulus = 65521
    low = (first & 0xFFFF) + (second & 0xFFFF) - 1
    high = (first >> 16) + (second >> 16) + second_length * ((first & 0xFFFF) - 1)
    return (high % modulus) << 16 | low % modulus


def xref_stream_pdf(bodies: list[bytes], packed_in: dict[int, int]) -> bytes:
    """A PDF of these objects (1 is the catalog) with a cross-reference stream; `packed_in`
    maps an object number to the object stream that holds it (as its only object)."""
    out = bytearray(b"%PDF-1.7\n")
    rows = [b"\x00" + bytes(4) + b"\xff\xff"]
    for number, body in enumerate(bodies, start=1):
        rows.append(b"\x01" + len(out).to_bytes(4, "big") + bytes(2))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    for number in sorted(packed_in):
        assert number == len(rows), "packed objects follow the others, numbered in order"
        rows.append(b"\x02" + packed_in[number].to_bytes(4, "big") + bytes(2))
    xref_number = len(rows)
    rows.append(b"\x01" + len(out).to_bytes(4, "big") + bytes(2))
    table = b"".join(rows)
    xref_offset = len(out)
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\n"
        b"stream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
        % (xref_number, xref_number + 1, len(table), table, xref_offset)
    )
    return bytes(out)
