"""Revision 0010 moves each stored CV into a document of its enquiry (and back on downgrade),
and keeps the CVs held for forms shown again, so that nothing an applicant sent is lost."""

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from openpositions import create_app
from openpositions.enquiries.intake.accept import IncomingDocument, record_enquiry
from openpositions.enquiries.intake.held_documents import HeldDocument
from openpositions.enquiries.models import Enquiry, EnquiryDocument
from openpositions.extensions import db
from tests.support.app import an_enquiry, app_config, store_as_at_0002
from tests.support.paths import PROJECT_DIR
from tests.support.pdfs import pdf_of_size
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.database

MIGRATIONS = str(PROJECT_DIR / "migrations")
ENQUIRY_CV_AT_0009 = sa.table(
    "enquiry",
    sa.column("reference"),
    sa.column("cv_filename"),
    sa.column("cv_size"),
    sa.column("cv_data"),
    sa.column("notified_at"),
)
HELD_CV_AT_0009 = sa.table(
    "held_cv", sa.column("id"), sa.column("filename"), sa.column("data"), sa.column("created_at")
)


def test_each_cv_becomes_its_enquirys_document_and_comes_back_on_downgrade(
    tmp_path: Path, smtp: SmtpSink, database: str
) -> None:
    cv = pdf_of_size(20_000)
    app = create_app(app_config(tmp_path, smtp.port, SQLALCHEMY_DATABASE_URI=database))
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0004")
        for number in range(2):
            store_as_at_0002(number)
        db.session.commit()
        upgrade(directory=MIGRATIONS, revision="0009")
        db.session.execute(
            sa.update(ENQUIRY_CV_AT_0009)
            .where(ENQUIRY_CV_AT_0009.c.reference == "RS-0000-0000")
            .values(cv_filename="Lebenslauf.pdf", cv_size=len(cv), cv_data=cv)
        )
        db.session.execute(
            sa.insert(HELD_CV_AT_0009).values(
                id="held", filename="held.pdf", data=cv, created_at=sa.func.now()
            )
        )
        db.session.commit()

        upgrade(directory=MIGRATIONS)
        with_cv, without = db.session.scalars(sa.select(Enquiry).order_by(Enquiry.id)).all()
        (document,) = with_cv.documents
        assert (document.key, document.label, document.filename) == ("cv", "CV", "Lebenslauf.pdf")
        assert (document.size, document.data) == (len(cv), cv)
        assert document.mail_number == 1, "the professor's first mail carried it"
        assert without.documents == [] and with_cv.answers == []
        held = db.session.get(HeldDocument, "held")
        assert held is not None
        assert (held.size, held.digest) == (len(cv), hashlib.sha256(cv).hexdigest())
        db.session.commit()

        downgrade(directory=MIGRATIONS, revision="0009")
        rows = db.session.execute(
            sa.select(ENQUIRY_CV_AT_0009.c.cv_filename, ENQUIRY_CV_AT_0009.c.cv_data).order_by(
                ENQUIRY_CV_AT_0009.c.reference
            )
        ).all()
        assert [tuple(row) for row in rows] == [("Lebenslauf.pdf", cv), (None, None)]
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_the_database_deletes_an_enquirys_documents_with_it(
    tmp_path: Path, smtp: SmtpSink, database: str
) -> None:
    # Whatever deletes an enquiry row: the key's ON DELETE CASCADE where the database enforces
    # foreign keys; the model's own deletes (withdrawal, retention) delete them on SQLite too.
    if not database.startswith("postgresql"):
        pytest.skip("SQLite enforces no foreign keys unless told to")
    app = create_app(app_config(tmp_path, smtp.port, SQLALCHEMY_DATABASE_URI=database))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        record_enquiry(an_enquiry(), [IncomingDocument.of_bytes("cv", "CV", "cv.pdf", b"%PDF")])
        db.session.execute(sa.delete(Enquiry))
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(EnquiryDocument)) == 0
        db.session.remove()
        db.engine.dispose()
