// The plugin's tools. They are declared once, in plugin.toml: `npm run gen` writes
// manifest.js from its [[tools]], and list-tools is built from it.

import { TOOLS } from './manifest.js';

/** A capability failure (the `kube-error` variant) in words. */
export function errorText(e) {
  switch (e?.tag) {
    case 'denied':
    case 'forbidden':
      return `refused (${e.val.rule}): ${e.val.reason}`;
    case 'api':
      return `Error from server (${e.val.reason}): ${e.val.message}`;
    default:
      return `error: ${e?.tag ?? 'unknown'}: ${typeof e?.val === 'string' ? e.val : JSON.stringify(e?.val ?? e)}`;
  }
}

/** `{{tool}}`: the cluster's namespace names, one per line. */
function listNamespaces(kube) {
  let response;
  try {
    response = kube.send({
      verb: 'list',
      group: '',
      version: 'v1',
      resource: 'namespaces',
      subresource: undefined,
      namespace: undefined,
      name: undefined,
      query: [],
      body: undefined,
      patchType: undefined,
      output: 'json',
    });
  } catch (e) {
    // A refusal (policy, grant, RBAC) or an API error: report it to the model.
    return { text: errorText(e.payload ?? e), structured: undefined, isError: true };
  }
  const names = (JSON.parse(response.body).items ?? []).map((item) => item.metadata.name);
  return { text: names.join('\n'), structured: undefined, isError: false };
}

/** The exported `tools` interface, over the host's `kube` and `log` imports. */
export function makeTools(kube, log) {
  return {
    listTools() {
      return TOOLS.map((t) => ({
        name: t.name,
        title: undefined,
        description: t.description ?? '',
        inputSchema: JSON.stringify(t.input_schema ?? { type: 'object', properties: {} }),
        annotations: {
          readOnly: t.read_only ?? false,
          destructive: t.destructive ?? false,
          idempotent: t.read_only ?? false,
          openWorld: false,
        },
        truncationHint: undefined,
      }));
    },
    instructions() {
      return undefined;
    },
    callTool(name, _args, _ctx) {
      if (name === '{{tool}}') {
        log.log('debug', 'listing namespaces');
        return listNamespaces(kube);
      }
      throw { tag: 'unknown-tool', val: name };
    },
    planCall(_name, _args, _ctx) {
      // No command form: the host decides each request as it is made.
      return undefined;
    },
  };
}

/** The exported `prompts` interface: this plugin offers none. */
export const prompts = {
  listPrompts() {
    return [];
  },
  getPrompt(name, _args, _tools) {
    throw { tag: 'unknown-prompt', val: name };
  },
};
