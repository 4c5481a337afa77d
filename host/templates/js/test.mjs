// Unit tests of plugin.js under Node, with the host's `kube` and `log` imports faked.
// Run: npm test
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { makeTools } from './plugin.js';

const log = { log() {} };
const ctx = { requestId: '1', kubeContext: 'kind-dev', defaultNamespace: 'default', timeoutMs: 10000n, maxOutputChars: 100000n };

test('lists the namespace names one per line', () => {
  const sent = [];
  const kube = {
    send(req) {
      sent.push(req);
      return {
        status: 200,
        body: JSON.stringify({ kind: 'NamespaceList', items: [{ metadata: { name: 'default' } }, { metadata: { name: 'kube-system' } }] }),
      };
    },
  };
  const out = makeTools(kube, log).callTool('{{tool}}', '{}', ctx);
  assert.equal(out.text, 'default\nkube-system');
  assert.equal(out.isError, false);
  assert.equal(sent[0].verb, 'list');
  assert.equal(sent[0].resource, 'namespaces');
});

test('reports a refusal', () => {
  const kube = {
    send() {
      const e = new Error('forbidden');
      e.payload = { tag: 'forbidden', val: { rule: 'rbac', reason: 'no list on namespaces' } };
      throw e;
    },
  };
  const out = makeTools(kube, log).callTool('{{tool}}', '{}', ctx);
  assert.equal(out.isError, true);
  assert.match(out.text, /no list on namespaces/);
});

test('the tools come from the manifest', () => {
  const listed = makeTools({}, log).listTools();
  assert.deepEqual(listed.map((t) => t.name), ['{{tool}}']);
  assert.equal(listed[0].annotations.readOnly, true);
  assert.equal(JSON.parse(listed[0].inputSchema).type, 'object');
});
