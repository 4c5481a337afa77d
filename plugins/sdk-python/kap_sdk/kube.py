"""The host's ``kube`` capability: request builders and calls that raise :class:`KubeException`.

A request names the API server's request attributes (verb, group, version, resource,
namespace, name), never a URL; the host checks the plugin's grant, the policy and RBAC
before it sends it. A refusal comes back as a typed error (``denied``, ``forbidden``, ...),
raised here as :class:`KubeException` so a tool can report it.

    >>> nss = kube.list("", "v1", "namespaces")          # parsed JSON (a NamespaceList)
    >>> kube.names(nss)                                   # ["default", "kube-system", ...]
    >>> pod = kube.get("", "v1", "pods", "web-1", namespace="shop")
    >>> req = kube.request(Verb.DELETE, "apps", "v1", "deployments", name="web", namespace="shop")
    >>> kube.send(req)                                    # a Response (status, body)
"""

from __future__ import annotations

import builtins
import json
from typing import Any, Iterable, Optional

from componentize_py_types import Err
from wit_world.imports import kube as _wit
from wit_world.imports.kube import (  # noqa: F401  (re-exported for authors)
    AccessReview,
    ApiError,
    Denial,
    KubeError,
    KubeError_Api,
    KubeError_Denied,
    KubeError_Forbidden,
    KubeError_Invalid,
    KubeError_Limit,
    KubeError_Transport,
    KubeError_UnknownResource,
    OutputFormat,
    PatchType,
    Request,
    ResourceInfo,
    Response,
    Verb,
)

_KINDS = {
    KubeError_Denied: "denied",
    KubeError_Forbidden: "forbidden",
    KubeError_Api: "api",
    KubeError_UnknownResource: "unknown-resource",
    KubeError_Invalid: "invalid",
    KubeError_Transport: "transport",
    KubeError_Limit: "limit",
}


class KubeException(Exception):
    """A ``kube`` call that produced no response.

    ``kind`` is the WIT case (``denied``, ``forbidden``, ``api``, ``unknown-resource``,
    ``invalid``, ``transport``, ``limit``); ``error`` the typed value. For ``denied`` and
    ``forbidden``, ``rule`` and ``reason`` are the host's; for ``api``, ``code`` is the HTTP
    status. ``str()`` is a line for the model, e.g.
    ``denied (grant.kube.resources): ...``. A tool that lets it escape answers that line as
    text with ``is-error`` (see :class:`kap_sdk.Plugin`).
    """

    def __init__(self, error: KubeError):
        self.error = error
        self.kind = _KINDS.get(type(error), "error")
        self.rule: Optional[str] = None
        self.reason: Optional[str] = None
        self.code: Optional[int] = None
        v = error.value
        if isinstance(v, Denial):
            self.rule, self.reason = v.rule, v.reason
            text = f"{self.kind} ({v.rule}): {v.reason}"
        elif isinstance(v, ApiError):
            self.code, self.reason = v.code, v.message
            text = f"API error {v.code} {v.reason}: {v.message}"
        else:
            self.reason = str(v)
            text = f"{self.kind}: {v}"
        super().__init__(text)


def _call(f, *args):
    try:
        return f(*args)
    except Err as e:
        raise KubeException(e.value) from None


def request(
    verb: Verb,
    group: str,
    version: str,
    resource: str,
    *,
    namespace: Optional[str] = None,
    name: Optional[str] = None,
    subresource: Optional[str] = None,
    query: Iterable[tuple[str, str]] = (),
    body: Optional[str] = None,
    patch_type: Optional[PatchType] = None,
    output: OutputFormat = OutputFormat.JSON,
) -> Request:
    """Builds a request; only the verb and the resource's group, version and plural name are
    required. ``group`` is ``""`` for the core group."""
    return Request(
        verb=verb,
        group=group,
        version=version,
        resource=resource,
        subresource=subresource,
        namespace=namespace,
        name=name,
        query=[(str(k), str(v)) for k, v in query],
        body=body,
        patch_type=patch_type,
        output=output,
    )


def send(req: Request) -> Response:
    """Sends one request through the host's gate. Raises :class:`KubeException`."""
    return _call(_wit.send, req)


def _json(resp: Response) -> Any:
    try:
        return json.loads(resp.body)
    except ValueError as e:
        raise KubeException(KubeError_Transport(f"the answer is not JSON: {e}")) from None


def get(
    group: str,
    version: str,
    resource: str,
    name: str,
    namespace: Optional[str] = None,
    **kw: Any,
) -> Any:
    """``get`` of one object, as parsed JSON."""
    return _json(send(request(Verb.GET, group, version, resource, name=name, namespace=namespace, **kw)))


def list(  # noqa: A001  (kube.list reads like the verb it sends)
    group: str,
    version: str,
    resource: str,
    namespace: Optional[str] = None,
    *,
    label_selector: Optional[str] = None,
    field_selector: Optional[str] = None,
    limit: Optional[int] = None,
    query: Iterable[tuple[str, str]] = (),
    **kw: Any,
) -> Any:
    """``list`` of a collection (in ``namespace``, or cluster-wide / all namespaces when it is
    ``None``), as parsed JSON (a ``...List`` with ``items``)."""
    q = builtins.list(query)
    if label_selector:
        q.append(("labelSelector", label_selector))
    if field_selector:
        q.append(("fieldSelector", field_selector))
    if limit is not None:
        q.append(("limit", str(limit)))
    return _json(send(request(Verb.LIST, group, version, resource, namespace=namespace, query=q, **kw)))


def names(obj: Any) -> builtins.list[str]:
    """The ``metadata.name`` of each item of a list object."""
    return [i.get("metadata", {}).get("name", "") for i in obj.get("items", []) or []]


def resolve(name: str) -> ResourceInfo:
    """Resolves a resource as a kubectl user types it (``po``, ``deploy``, a CRD short name)."""
    return _call(_wit.resolve, name)


def api_resources() -> builtins.list[ResourceInfo]:
    """Every resource discovery knows (preferred versions)."""
    return _call(_wit.api_resources)


def server_version() -> Any:
    """The API server's ``/version``, as parsed JSON."""
    return json.loads(_call(_wit.server_version))


def can_i(
    verb: Verb,
    group: str,
    resource: str,
    *,
    subresource: Optional[str] = None,
    namespace: Optional[str] = None,
    name: Optional[str] = None,
) -> AccessReview:
    """Whether the host's identity and policy would allow the request (``auth can-i``)."""
    return _call(_wit.can_i, verb, group, resource, subresource, namespace, name)
