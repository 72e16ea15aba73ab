"""A hostile S3-compatible server for tests (run with /usr/bin/python3): it
answers ListObjectsV2 and GET object requests for any bucket, the way a
broken or malicious server might. s3rver cannot be made to misbehave, so
this one exists.

  hostile_s3.py MODE [SIZE]

  repeat-token        every page is truncated; its tokens go tok-1, tok-2,
                      tok-3, then tok-1 again: a listing that never ends
  endless-tokens      every page is truncated with a new token
  truncated-no-token  a truncated page without NextContinuationToken
  too-many-keys       a page with more keys than max-keys asked for, and
                      two NextContinuationToken elements
  bad-keys            keys shorter than the prefix, outside it, with '..',
                      '.', empty segments, beside two good ones
  error-text          every request gets 403 with ESC[31m and a newline in <Code>
  big-object SIZE     one object, big.bin, of SIZE bytes

Prints "listening on http://127.0.0.1:PORT" when ready.
"""
import hashlib
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

MODE = sys.argv[1]
SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else 0
PREFIX = "exports/longprefix/"
OBJECTS = {  # key -> content, for bad-keys and big-object
    "a": b"short key\n",
    "other/x.csv": b"outside the prefix\n",
    PREFIX + "../../escape.csv": b"escapes the folder\n",
    PREFIX + "sub/../../escape2.csv": b"escapes the folder\n",
    PREFIX + "/absolute.csv": b"empty segment\n",
    PREFIX + "./dot.csv": b"dot segment\n",
    PREFIX + "good.csv": b"id,amount\n1,10\n",
    PREFIX + "sub/nested.csv": b"id\n2\n",
}
if MODE == "big-object":
    OBJECTS = {"big.bin": b"0123456789abcdef" * (SIZE // 16)}


def contents(key, body):
    etag = hashlib.md5(body).hexdigest()
    return (f"<Contents><Key>{key}</Key><Size>{len(body)}</Size><ETag>&quot;{etag}&quot;</ETag></Contents>")


def listing(query):
    token = query.get("continuation-token", [""])[0]
    page = ['<?xml version="1.0" encoding="UTF-8"?>', "<ListBucketResult>"]
    if MODE == "repeat-token":
        number = int(token.split("-")[1]) % 3 + 1 if token else 1
        page += [contents(PREFIX + f"page{number}.csv", b"x\n"), "<IsTruncated>true</IsTruncated>",
                 f"<NextContinuationToken>tok-{number}</NextContinuationToken>"]
    elif MODE == "endless-tokens":
        number = int(token.split("-")[1]) + 1 if token else 1
        page += [contents(PREFIX + f"page{number}.csv", b"x\n"), "<IsTruncated>true</IsTruncated>",
                 f"<NextContinuationToken>tok-{number}</NextContinuationToken>"]
    elif MODE == "too-many-keys":
        asked = int(query.get("max-keys", ["1000"])[0])
        page += [contents(PREFIX + f"k{i}.csv", b"x\n") for i in range(asked + 1)]
        page += ["<IsTruncated>true</IsTruncated>", "<NextContinuationToken>a</NextContinuationToken>",
                 "<NextContinuationToken>b</NextContinuationToken>"]
    elif MODE == "truncated-no-token":
        page += [contents(PREFIX + "good.csv", b"x\n"), "<IsTruncated>true</IsTruncated>"]
    else:
        page += [contents(key, body) for key, body in OBJECTS.items()] + ["<IsTruncated>false</IsTruncated>"]
    page.append("</ListBucketResult>")
    return "".join(page).encode()


class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if MODE == "error-text":
            return self.answer(403, b"<?xml version=\"1.0\"?><Error><Code>AccessDenied\x1b[31m\nFORGED</Code></Error>")
        bucket, _, key = urllib.parse.unquote(url.path).lstrip("/").partition("/")
        if "list-type" in query:
            return self.answer(200, listing(query))
        if key in OBJECTS:
            return self.answer(200, OBJECTS[key])
        return self.answer(404, b"<Error><Code>NoSuchKey</Code></Error>")

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Handler)
print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
