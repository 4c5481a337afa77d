"""Unit tests of kap_sdk and of the Python example plugin, on plain CPython with the fake
host. Run from the repository root:

    .venv/bin/python -m unittest discover -s plugins/sdk-python/tests -v
"""

import os
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "plugins", "sdk-python"))

import kap_sdk_bindings  # noqa: E402

kap_sdk_bindings.ensure(os.path.join(ROOT, "wit"))
sys.path.insert(0, os.path.join(ROOT, "tests", "plugins", "python-example"))

from componentize_py_types import Err  # noqa: E402

import app  # noqa: E402  (the example plugin)
from kap_sdk import Plugin, ToolOutput, Verb, tool  # noqa: E402
from kap_sdk import manifest as m  # noqa: E402
from kap_sdk.testing import FakeHost  # noqa: E402
from wit_world.exports.prompts import PromptError_UnknownPrompt  # noqa: E402
from wit_world.exports.tools import (  # noqa: E402
    ToolError_InvalidArguments,
    ToolError_UnknownTool,
)

NAMESPACES = {"items": [{"metadata": {"name": "default"}}, {"metadata": {"name": "kube-system"}}]}


class Example(unittest.TestCase):
    def setUp(self):
        self.host = FakeHost()

    def tearDown(self):
        self.host.close()

    def test_list_tools_comes_from_the_manifest(self):
        tools = {t.name: t for t in app.Tools().list_tools()}
        self.assertEqual(sorted(tools), ["py_list_namespaces", "py_read_secrets"])
        t = tools["py_list_namespaces"]
        self.assertTrue(t.annotations.read_only and t.annotations.idempotent)
        self.assertFalse(t.annotations.open_world)
        self.assertEqual(t.input_schema, '{"properties":{},"type":"object"}')
        self.assertIn('"namespace"', tools["py_read_secrets"].input_schema)
        self.assertIsNotNone(app.Tools().instructions())

    def test_lists_namespaces(self):
        self.host.respond(Verb.LIST, "", "namespaces", body=NAMESPACES)
        out = self.host.call(app.Tools, "py_list_namespaces")
        self.assertEqual(out, ToolOutput(text="default\nkube-system", structured=None, is_error=False))
        self.assertEqual(self.host.sent[0].namespace, None)

    def test_a_denial_is_text_with_is_error(self):
        self.host.deny(Verb.LIST, "", "secrets", "shop")
        out = self.host.call(app.Tools, "py_read_secrets", {"namespace": "shop"})
        self.assertTrue(out.is_error)
        self.assertIn("denied (grant.kube.requested-resource)", out.text)
        # Without the argument, the call's default namespace.
        self.host.deny(Verb.LIST, "", "secrets", "default")
        self.assertTrue(self.host.call(app.Tools, "py_read_secrets").is_error)

    def test_bad_arguments_are_invalid_arguments(self):
        for args, needle in [
            ("{nope", "not valid JSON"),
            ("[1]", "must be a JSON object, got array"),
            ({"namespace": 7}, "argument 'namespace' must be string, got integer"),
        ]:
            with self.assertRaises(Err) as e:
                self.host.call(app.Tools, "py_read_secrets", args)
            self.assertIsInstance(e.exception.value, ToolError_InvalidArguments)
            self.assertIn(needle, e.exception.value.value)

    def test_unknown_tool(self):
        with self.assertRaises(Err) as e:
            self.host.call(app.Tools, "nope")
        self.assertEqual(e.exception.value, ToolError_UnknownTool("nope"))

    def test_plans(self):
        plan = self.host.plan(app.Tools, "py_list_namespaces")
        self.assertEqual(plan.family, "python-example")
        self.assertEqual(plan.requests[0].verb, Verb.LIST)
        self.assertEqual(plan.facts, [])
        self.assertIsNone(self.host.plan(app.Tools, "py_read_secrets"))

    def test_prompts_default_to_none(self):
        self.assertEqual(app.Prompts().list_prompts(), [])
        with self.assertRaises(Err) as e:
            app.Prompts().get_prompt("x", [], [])
        self.assertEqual(e.exception.value, PromptError_UnknownPrompt("x"))


class ManifestChecks(unittest.TestCase):
    def test_errors_name_the_tool_and_field(self):
        cases = [
            ('[[tools]]\nname = "a"\n', "missing description"),
            ('[[tools]]\nname = "a"\ndescription = "d"\nreadonly = true\n', "unknown field(s) readonly"),
            ('[[tools]]\nname = "a"\ndescription = "d"\ninput_schema = { type = "string" }\n',
             "tool a: input_schema must be an object schema"),
            ('[[tools]]\nname = "a"\ndescription = "d"\nread_only = "yes"\n', "tool a: read_only must be a bool"),
            ("name = ", "plugin.toml:"),
        ]
        for text, needle in cases:
            with self.assertRaises(m.ManifestError) as e:
                m.parse(text)
            self.assertIn(needle, str(e.exception))

    def test_code_and_declaration_must_match(self):
        class Two(Plugin):
            @tool("a")
            def a(self, args, ctx):
                return "a"

            @tool("b")
            def b(self, args, ctx):
                return "b"

        decl = m.parse('[[tools]]\nname = "a"\ndescription = "d"\n[[tools]]\nname = "c"\ndescription = "d"\n')
        with self.assertRaises(m.ManifestError) as e:
            Two(decl)
        self.assertIn("not in [[tools]]: b", str(e.exception))
        self.assertIn("no @tool method: c", str(e.exception))

    def test_a_crashing_tool_is_failed_not_a_trap(self):
        class Crash(Plugin):
            @tool("a")
            def a(self, args, ctx):
                return 1 / 0

        Tools, _ = Crash.export(m.parse('[[tools]]\nname = "a"\ndescription = "d"\n'))
        with FakeHost() as host:
            with self.assertRaises(Err) as e:
                host.call(Tools, "a")
            self.assertIn("ZeroDivisionError", e.exception.value.value)
            self.assertTrue(any(level == "error" for level, _ in host.logs))


if __name__ == "__main__":
    unittest.main()
