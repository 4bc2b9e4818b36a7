"""Reading articles: the names callers import, gathered from the modules that do the work.

    files.py      files and folders -> Articles and Skipped (read_articles)
    records.py    one JSON record (a line, an API body) -> Article (article_from_record)
    plaintext.py  one plain-text article -> Article (article_from_text)
    html.py       one saved web page -> Article (article_from_html)
    validate.py   what may come in at all: text, ids, urls, dates, sizes, JSON
"""

from index.ingest.files import Skipped, iter_files, read_articles
from index.ingest.html import article_from_html
from index.ingest.plaintext import article_from_text
from index.ingest.records import FieldMap, article_from_record

__all__ = ["FieldMap", "Skipped", "article_from_html", "article_from_record", "article_from_text",
           "iter_files", "read_articles"]
