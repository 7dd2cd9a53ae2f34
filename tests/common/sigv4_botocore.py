#!/usr/bin/python3
"""Signs requests with botocore's SigV4Auth and prints them as JSON, for sigv4_verifier_test.cc.

    sigv4_botocore.py ACCESS_KEY_ID SECRET

Prints a JSON array of {"method","path","query","headers":[[name,value]...],"body"}: a Kinesis
PutRecord as the AWS CLI sends it, and a GET whose path and query need encoding. Each request
carries the headers an HTTP client would send (Host included), signed at the current time.
"""

import json
import sys
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def signed(creds, method, url, body, headers, service="kinesis", region="us-east-1"):
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(creds, service, region).add_auth(request)
    parts = urllib.parse.urlsplit(url)
    sent = [[k, v] for k, v in request.headers.items()]
    if not any(k.lower() == "host" for k, _ in sent):
        sent.append(["Host", parts.netloc])
    return {"method": method, "path": parts.path or "/", "query": parts.query, "headers": sent,
            "body": body.decode() if isinstance(body, bytes) else body}


def main():
    creds = Credentials(sys.argv[1], sys.argv[2])
    put = json.dumps({"StreamName": "s", "Data": "aGk=", "PartitionKey": "k"}).encode()
    out = [
        signed(creds, "POST", "http://127.0.0.1:4567/", put, {
            "X-Amz-Target": "Kinesis_20131202.PutRecord",
            "Content-Type": "application/x-amz-json-1.1",
            "User-Agent": "aws-cli/2 test",
        }),
        signed(creds, "GET", "http://localhost:4567/streams/a%20b/%E1%88%B4?b=2&a=x%2Fy&a=1",
               b"", {"X-Extra": "  two   spaces  "}),
    ]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
