"""Real PDF files of a chosen size, written by hand so that any PDF parser reads them."""


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
