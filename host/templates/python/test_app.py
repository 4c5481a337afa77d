"""Unit tests of app.py, natively, with the host's `kube` and `log` imports faked.

Generate the bindings first: `componentize-py -d wit -w plugin bindings .`
Run: `python3 -m unittest test_app` (Python 3.11 or later)
"""

import json
import unittest
from unittest import mock

from componentize_py_types import Err
from wit_world.imports import kube, log, types

import app

CTX = types.CallContext(
    request_id="1",
    kube_context="kind-dev",
    default_namespace="default",
    timeout_ms=10_000,
    max_output_chars=100_000,
    process=None,
)


class ListNamespaces(unittest.TestCase):
    def setUp(self):
        patcher = mock.patch.object(log, "log")
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_lists_the_names_one_per_line(self):
        body = json.dumps(
            {
                "kind": "NamespaceList",
                "items": [{"metadata": {"name": "default"}}, {"metadata": {"name": "kube-system"}}],
            }
        )
        with mock.patch.object(kube, "send", return_value=kube.Response(status=200, body=body)) as send:
            out = app.Tools().call_tool("{{tool}}", "{}", CTX)
        self.assertEqual(out.text, "default\nkube-system")
        self.assertFalse(out.is_error)
        request = send.call_args.args[0]
        self.assertEqual((request.verb, request.resource), (kube.Verb.LIST, "namespaces"))

    def test_reports_a_refusal(self):
        denied = Err(kube.KubeError_Forbidden(kube.Denial(rule="rbac", reason="no list on namespaces")))
        with mock.patch.object(kube, "send", side_effect=denied):
            out = app.Tools().call_tool("{{tool}}", "{}", CTX)
        self.assertTrue(out.is_error)
        self.assertIn("no list on namespaces", out.text)

    def test_tools_come_from_the_manifest(self):
        listed = app.Tools().list_tools()
        self.assertEqual([t.name for t in listed], ["{{tool}}"])
        self.assertTrue(listed[0].annotations.read_only)
        self.assertEqual(json.loads(listed[0].input_schema)["type"], "object")


if __name__ == "__main__":
    unittest.main()
