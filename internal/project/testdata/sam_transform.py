#!/usr/bin/env python3
"""Transform a SAM template into CloudFormation offline, as the
AWS::Serverless-2016-10-31 transform does, with the `samtranslator` package
(aws-sam-translator, installed with cfn-lint). No AWS credentials, no network.

    sam_transform.py template.yaml [-p Key=Value ...] [-o out.json]
    sam_transform.py template.yaml --batch < cases.json > results.json

--batch reads {"case name": {"Key": "Value", ...}, ...} and writes
{"case name": <CloudFormation>, ...}, or {"case name": {"error": "..."}} for a
case the translator refused: one process for many parameter sets.

Offline details:
  * The managed-policy loader only needs .load() -> {name: arn}; the
    translator's bundled map resolves AWSLambdaBasicExecutionRole and the
    X-Ray policy, so a loader returning that map is enough.
  * The translator needs a region (boto3's default), so AWS_DEFAULT_REGION
    is set to us-east-1 when unset.
  * Local CodeUri values (CodeUri: .) become a placeholder s3:// URI, as
    `sam package` would make them.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from typing import Any, Dict


class OfflinePolicyLoader:
    """Stands in for samtranslator's ManagedPolicyLoader (which calls IAM)."""

    def __init__(self, partition: str) -> None:
        self._partition = partition

    def load(self) -> Dict[str, str]:
        try:
            from samtranslator.internal.managed_policies import get_bundled_managed_policy_map

            return dict(get_bundled_managed_policy_map(self._partition) or {})
        except Exception:  # an older samtranslator without the bundled map
            return {}


_LOCAL_URI_PROPS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}


def fake_local_uris(template: Dict[str, Any]) -> Dict[str, Any]:
    def fix(props: Dict[str, Any], key: str) -> None:
        val = props.get(key)
        if isinstance(val, str) and not val.startswith("s3://"):
            props[key] = "s3://local-placeholder-bucket/" + (val.strip("./") or "code")

    fix((template.get("Globals") or {}).get("Function") or {}, "CodeUri")
    for res in (template.get("Resources") or {}).values():
        if not isinstance(res, dict):
            continue
        key = _LOCAL_URI_PROPS.get(res.get("Type"))
        props = res.get("Properties")
        if key and isinstance(props, dict):
            if key == "CodeUri" and (props.get("InlineCode") is not None or props.get("PackageType") == "Image"):
                continue
            fix(props, key)
    return template


def transform(template: Dict[str, Any], params: Dict[str, Any]) -> Dict[str, Any]:
    from samtranslator.translator.transform import transform as sam_transform

    region = os.environ["AWS_DEFAULT_REGION"]
    partition = "aws-cn" if region.startswith("cn-") else ("aws-us-gov" if "-gov-" in region else "aws")
    return sam_transform(copy.deepcopy(template), dict(params), OfflinePolicyLoader(partition))


def describe(ex: Exception) -> str:
    causes = getattr(ex, "causes", None) or []
    return "; ".join([str(ex)] + [str(getattr(c, "message", c)) for c in causes])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("template")
    ap.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--batch", action="store_true", help="read cases from stdin, write results to stdout")
    ap.add_argument("-o", "--output", default="-")
    args = ap.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    from samtranslator.yaml_helper import yaml_parse

    with open(args.template, encoding="utf-8") as fh:
        template = fake_local_uris(yaml_parse(fh.read()))

    if args.batch:
        out: Dict[str, Any] = {}
        for name, params in json.load(sys.stdin).items():
            try:
                out[name] = transform(template, params)
            except Exception as ex:  # the translator's InvalidDocumentException lists its causes
                out[name] = {"error": describe(ex)}
    else:
        params = {}
        for kv in args.parameter:
            k, sep, v = kv.partition("=")
            if not sep:
                ap.error(f"bad --parameter {kv!r}, expected KEY=VALUE")
            params[k] = v
        try:
            out = transform(template, params)
        except Exception as ex:
            print(f"transform failed: {describe(ex)}", file=sys.stderr)
            return 1

    text = json.dumps(out, indent=1, default=str)
    if args.output == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
