// {{name}}: a kube-ai-proxy plugin written in JavaScript, built with componentize-js.
//
// This file binds the plugin (plugin.js) to the host's imports and exports the WIT
// interfaces `tools` and `prompts`. The logic lives in plugin.js, which takes the `kube`
// and `log` imports as arguments so that test.mjs can run it under Node with fakes.

import * as kube from 'kube-ai-proxy:plugin/kube@{{wit_version}}';
import * as log from 'kube-ai-proxy:plugin/log@{{wit_version}}';
import { makeTools, prompts as noPrompts } from './plugin.js';

export const tools = makeTools(kube, log);
export const prompts = noPrompts;
