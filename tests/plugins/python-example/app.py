"""The Python example plugin: a tool inside its grant and one outside it.

* ``py_list_namespaces`` lists namespace names (``list`` of core ``v1`` ``namespaces``,
  which the manifest requests);
* ``py_read_secrets`` tries to ``list`` core ``v1`` ``secrets``, which it never requested:
  the host refuses with a typed ``denied`` error, reported as text with ``is-error``.
"""

from kap_sdk import Plugin, Verb, call_plan, error, kube, planned, tool


class Example(Plugin):
    def instructions(self):
        return "py_list_namespaces lists namespace names (the python-example plugin)."

    @tool("py_list_namespaces")
    def list_namespaces(self, args, ctx):
        return "\n".join(kube.names(kube.list("", "v1", "namespaces")))

    @list_namespaces.plan
    def _plan_list_namespaces(self, args, ctx):
        return call_plan(
            "python-example",
            "python-example namespaces",
            [planned(Verb.LIST, "", "namespaces")],
        )

    @tool("py_read_secrets")
    def read_secrets(self, args, ctx):
        namespace = args.str("namespace", ctx.default_namespace)
        try:
            secrets = kube.list("", "v1", "secrets", namespace)
        except kube.KubeException as e:
            # The expected path: `denied` (outside the plugin's request and grant).
            return error(f"refused: {e}")
        return f"unexpectedly allowed: {len(secrets.get('items', []))} secrets"


Tools, Prompts = Example.export()
