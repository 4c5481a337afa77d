//! The plugin runtime: one wasmtime `Engine` and `Linker`, one `InstancePre` per plugin, and a
//! fresh `Store` per call with a memory limit (`StoreLimits`) and a deadline enforced by epoch
//! interruption (a ticker thread advances the engine's epoch every [`EPOCH_TICK`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sha2::{Digest as _, Sha256};
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::cache;
use super::manifest::{Manifest, PluginInfo};
use crate::audit::Caller;
use crate::capabilities::{self, Call};
use crate::config::Config;
use crate::confirm::{Channel, Clock};
use crate::services::Services;
use crate::wit::{self, prompts, tools, types, v0_1_0_adapter as adapter};

/// How often the engine's epoch advances; the granularity of call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Deadline for a plugin's `list-tools` at load time.
pub const LIST_TOOLS_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes of a plugin's stderr kept per call (for panic messages in the host log).
const STDERR_CAPTURE: usize = 16 * 1024;

/// One tool as the host serves it.
#[derive(Debug, Clone)]
pub struct ToolDef {
    /// The tool name, as the plugin's `list-tools` returned it and `tools/list` serves it:
    /// `[A-Za-z0-9_.-]`, at most 128 characters, unique across all loaded plugins.
    pub name: String,
    /// Human-readable title (the MCP tool `title`); `None` when the plugin gave none.
    pub title: Option<String>,
    /// What the tool does, for the model (the MCP tool `description`).
    pub description: String,
    /// The JSON Schema of the arguments (a JSON object).
    pub input_schema: serde_json::Map<String, serde_json::Value>,
    /// The plugin's behaviour hints (WIT `tool.annotations`), served as the MCP tool
    /// annotations `readOnlyHint`, `destructiveHint`, `idempotentHint`, `openWorldHint`.
    pub annotations: tools::Annotations,
    /// What the host suggests when the answer is cut (WIT `tool.truncation-hint`).
    pub truncation_hint: Option<String>,
}

/// A loaded plugin: its description, tools, prompts, and its pre-linked instance.
pub struct LoadedPlugin {
    /// Manifest, digest, grant, contract version.
    pub info: Arc<PluginInfo>,
    /// The tools it serves.
    pub tools: Vec<ToolDef>,
    /// The prompts it serves (contract 0.2.0; none for 0.1.0 components).
    pub prompts: Vec<prompts::Prompt>,
    /// What it adds to the server instructions.
    pub instructions: Option<String>,
    pre: Pre,
}

/// A pre-linked component of one contract version.
enum Pre {
    V0_2(wit::latest::PluginPre<CallState>),
    V0_1(wit::v0_1_0::PluginPre<CallState>),
}

/// An instance of one contract version, with calls in the latest types.
enum Instance {
    V0_2(wit::latest::Plugin),
    V0_1(wit::v0_1_0::Plugin),
}

impl Pre {
    async fn instantiate(&self, store: &mut Store<CallState>) -> wasmtime::Result<Instance> {
        Ok(match self {
            Pre::V0_2(p) => Instance::V0_2(p.instantiate_async(store).await?),
            Pre::V0_1(p) => Instance::V0_1(p.instantiate_async(store).await?),
        })
    }
}

impl Instance {
    async fn list_tools(&self, store: &mut Store<CallState>) -> wasmtime::Result<Vec<tools::Tool>> {
        Ok(match self {
            Instance::V0_2(i) => {
                i.kube_ai_proxy_plugin_tools()
                    .call_list_tools(store)
                    .await?
            }
            Instance::V0_1(i) => i
                .kube_ai_proxy_plugin_tools()
                .call_list_tools(store)
                .await?
                .into_iter()
                .map(adapter::tool)
                .collect(),
        })
    }

    async fn instructions(&self, store: &mut Store<CallState>) -> wasmtime::Result<Option<String>> {
        Ok(match self {
            Instance::V0_2(i) => {
                i.kube_ai_proxy_plugin_tools()
                    .call_instructions(store)
                    .await?
            }
            Instance::V0_1(_) => None,
        })
    }

    async fn list_prompts(
        &self,
        store: &mut Store<CallState>,
    ) -> wasmtime::Result<Vec<prompts::Prompt>> {
        Ok(match self {
            Instance::V0_2(i) => {
                i.kube_ai_proxy_plugin_prompts()
                    .call_list_prompts(store)
                    .await?
            }
            Instance::V0_1(_) => Vec::new(),
        })
    }

    async fn get_prompt(
        &self,
        store: &mut Store<CallState>,
        name: &str,
        arguments: &[(String, String)],
        tools: &[String],
    ) -> wasmtime::Result<Result<prompts::PromptResult, prompts::PromptError>> {
        Ok(match self {
            Instance::V0_2(i) => {
                i.kube_ai_proxy_plugin_prompts()
                    .call_get_prompt(store, name, arguments, tools)
                    .await?
            }
            Instance::V0_1(_) => Err(prompts::PromptError::UnknownPrompt(name.to_string())),
        })
    }

    async fn plan_call(
        &self,
        store: &mut Store<CallState>,
        tool: &str,
        arguments: &str,
        ctx: &types::CallContext,
    ) -> wasmtime::Result<Result<Option<tools::CallPlan>, tools::ToolError>> {
        Ok(match self {
            Instance::V0_2(i) => {
                i.kube_ai_proxy_plugin_tools()
                    .call_plan_call(store, tool, arguments, ctx)
                    .await?
            }
            Instance::V0_1(i) => i
                .kube_ai_proxy_plugin_tools()
                .call_plan_call(store, tool, arguments, &adapter::call_context(ctx))
                .await?
                .map(|p| p.map(adapter::call_plan))
                .map_err(adapter::tool_error),
        })
    }

    async fn call_tool(
        &self,
        store: &mut Store<CallState>,
        tool: &str,
        arguments: &str,
        ctx: &types::CallContext,
    ) -> wasmtime::Result<Result<tools::ToolOutput, tools::ToolError>> {
        Ok(match self {
            Instance::V0_2(i) => {
                i.kube_ai_proxy_plugin_tools()
                    .call_call_tool(store, tool, arguments, ctx)
                    .await?
            }
            Instance::V0_1(i) => i
                .kube_ai_proxy_plugin_tools()
                .call_call_tool(store, tool, arguments, &adapter::call_context(ctx))
                .await?
                .map(adapter::tool_output)
                .map_err(adapter::tool_error),
        })
    }
}

/// Which contract version a component was built against, from the version of the `tools`
/// interface it exports. `None`: it exports no `kube-ai-proxy:plugin/tools` this host knows.
pub fn component_version(engine: &Engine, component: &Component) -> Option<&'static str> {
    let ty = component.component_type();
    let mut found = None;
    for (name, _) in ty.exports(engine) {
        for v in wit::VERSIONS {
            if name == format!("kube-ai-proxy:plugin/tools@{v}") {
                found = Some(*v);
            }
        }
    }
    found
}

/// Per-call store state: WASI with nothing in it, limits, and the call every capability
/// shares ([`Call`]); each capability sees it through its own view.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: super::budget::BudgetedLimits,
    /// What the capabilities share.
    pub call: Call,
    /// The `kube` capability's state.
    pub kube: capabilities::kube::KubeState,
    /// The `progress` capability's state.
    pub progress: capabilities::progress::ProgressState,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl types::Host for CallState {}
impl wit::v0_1_0::kube_ai_proxy::plugin::types::Host for CallState {}

/// How a call ended when it did not return normally.
#[derive(Debug)]
pub enum CallOutcome {
    /// The plugin returned.
    Returned(Result<tools::ToolOutput, tools::ToolError>),
    /// The deadline passed.
    Timeout(Duration),
    /// The plugin hit its memory limit.
    OutOfMemory(usize),
    /// The server's shared memory budget ([`super::budget::MemoryBudget`]) was spent by
    /// other calls: the call was refused or stopped. The text says so, for the model.
    Overloaded(String),
    /// The client cancelled the request (`notifications/cancelled`): the call was stopped
    /// and no capability call was made after the cancellation.
    Cancelled,
    /// The plugin trapped (a panic, an `unreachable`, a bad memory access...).
    Trap(String),
    /// The policy refused the call's declared command before it ran (seed command rules).
    Denied {
        /// The refusing rule's id: `regex_rules.<family>[<index>]` or
        /// `dangerous_commands.<family>` (see [`crate::policy::file::CommandRules::check`]).
        rule: String,
        /// Why, in a sentence for the model: the command and the rule it matched.
        reason: String,
    },
}

/// All loaded plugins and the engine that runs them.
pub struct PluginHost {
    engine: Engine,
    plugins: Vec<LoadedPlugin>,
    /// Plugins that failed to load (skipped): the file and why.
    failed: Vec<(PathBuf, String)>,
    by_tool: HashMap<String, (usize, usize)>,
    by_prompt: HashMap<String, usize>,
    services: Arc<Services>,
    budget: Arc<super::budget::MemoryBudget>,
}

fn new_engine() -> Result<Engine> {
    let mut c = wasmtime::Config::new();
    c.wasm_component_model(true);
    c.epoch_interruption(true);
    let engine = Engine::new(&c).map_err(anyhow::Error::from)?;
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("kap-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .context("cannot start the epoch ticker")?;
    Ok(engine)
}

/// The linker of every contract version: WASI (with nothing in it), then each capability
/// unit on its own view of [`CallState`].
fn new_linker(engine: &Engine) -> Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wit::latest::kube_ai_proxy::plugin::types::add_to_linker::<
        _,
        wasmtime::component::HasSelf<CallState>,
    >(&mut linker, |s| s)?;
    wit::v0_1_0::kube_ai_proxy::plugin::types::add_to_linker::<
        _,
        wasmtime::component::HasSelf<CallState>,
    >(&mut linker, |s| s)?;
    capabilities::kube::add_to_linker(&mut linker, |s| {
        capabilities::kube::KubeView::new(&mut s.call, &s.kube)
    })?;
    capabilities::log::add_to_linker(&mut linker, |s| capabilities::log::LogView::new(&s.call))?;
    capabilities::process::add_to_linker(&mut linker, |s| {
        capabilities::process::ProcessView::new(&mut s.call, &s.kube)
    })?;
    capabilities::progress::add_to_linker(&mut linker, |s| {
        capabilities::progress::ProgressView::new(&mut s.progress)
    })?;
    Ok(linker)
}

/// What [`precompile`] did with one plugin file.
#[derive(Debug, Clone)]
pub struct Precompiled {
    /// `sha256:<hex>` of the file.
    pub digest: String,
    /// The contract version the component was built against, e.g. `0.2.0`.
    pub wit_version: &'static str,
    /// Whether the compile cache already held it.
    pub cache_hit: bool,
}

/// Compiles a plugin file into the compile cache (`plugins install`), so the next `serve`
/// loads it without compiling (Python and JS components take tens of seconds to compile).
/// Uses the same engine settings as [`PluginHost::load`], so the cache entry is the one
/// `serve` looks up.
///
/// Errors: no valid manifest, a component that exports no `tools` of a version this host
/// loads, or a compile error.
pub fn precompile(config: &Config, bytes: &[u8]) -> Result<Precompiled> {
    Manifest::from_component(bytes)?;
    let engine = new_engine()?;
    let digest = digest(bytes);
    let hex_digest = digest.trim_start_matches("sha256:").to_string();
    let (component, cache_hit) =
        cache::load(&engine, config.compile_cache.as_deref(), &hex_digest, bytes)?;
    let Some(wit_version) = component_version(&engine, &component) else {
        bail!(
            "the component exports no kube-ai-proxy:plugin/tools interface of a version this host loads ({})",
            wit::VERSIONS.join(", ")
        );
    };
    Ok(Precompiled {
        digest,
        wit_version,
        cache_hit,
    })
}

/// `sha256:<hex>` of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Checks a tool name as MCP clients expect (`[A-Za-z0-9_.-]{1,128}`).
fn valid_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Lists the `.wasm` files to load: each directory's files (sorted), then explicit paths.
pub fn plugin_paths(config: &Config) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for dir in &config.plugin_dirs {
        let rd = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read plugin directory {}", dir.display()))?;
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        files.sort();
        out.extend(files);
    }
    out.extend(config.plugins.iter().cloned());
    Ok(out)
}

impl PluginHost {
    /// Loads every plugin the config names. A plugin that fails to load — unreadable file,
    /// missing or invalid manifest, a component that does not link against any contract
    /// version this host serves, a `list-tools` that traps or times out, invalid tool names
    /// or schemas, a tool or prompt name another plugin already serves — is skipped with a
    /// loud error and listed by [`PluginHost::failed`], so the others keep serving; with
    /// `require_all_plugins` (`--require-all-plugins`) it stops the server instead.
    pub async fn load(services: Arc<Services>) -> Result<PluginHost> {
        let engine = new_engine()?;
        let linker = new_linker(&engine)?;
        let mut host = PluginHost {
            engine,
            plugins: Vec::new(),
            failed: Vec::new(),
            by_tool: HashMap::new(),
            by_prompt: HashMap::new(),
            budget: super::budget::MemoryBudget::new(services.config.memory_budget_bytes),
            services,
        };
        let paths = plugin_paths(&host.services.config)?;
        let require_all = host.services.config.require_all_plugins;
        for path in paths {
            let loaded = host
                .load_one(&linker, &path)
                .await
                .and_then(|p| host.add(p))
                .with_context(|| format!("cannot load plugin {}", path.display()));
            if let Err(e) = loaded {
                if require_all {
                    return Err(e);
                }
                tracing::error!(plugin = %path.display(), error = %format!("{e:#}"), "plugin skipped: it failed to load (--require-all-plugins makes this fatal)");
                host.failed.push((path, format!("{e:#}")));
            }
        }
        Ok(host)
    }

    fn add(&mut self, plugin: LoadedPlugin) -> Result<()> {
        let idx = self.plugins.len();
        if let Some(other) = self
            .plugins
            .iter()
            .find(|p| p.info.manifest.name == plugin.info.manifest.name)
        {
            bail!(
                "two plugins are named {:?}: {} and {}",
                plugin.info.manifest.name,
                other.info.path.display(),
                plugin.info.path.display()
            );
        }
        for tool in &plugin.tools {
            if let Some((o, _)) = self.by_tool.get(&tool.name) {
                bail!(
                    "tool {:?} is defined by both plugin {} ({}) and plugin {} ({}); remove one of them",
                    tool.name,
                    self.plugins[*o].info.manifest.name,
                    self.plugins[*o].info.path.display(),
                    plugin.info.manifest.name,
                    plugin.info.path.display()
                );
            }
        }
        for prompt in &plugin.prompts {
            if let Some(o) = self.by_prompt.get(&prompt.name) {
                bail!(
                    "prompt {:?} is defined by both plugin {} and plugin {}; remove one of them",
                    prompt.name,
                    self.plugins[*o].info.manifest.name,
                    plugin.info.manifest.name,
                );
            }
        }
        for (t, tool) in plugin.tools.iter().enumerate() {
            self.by_tool.insert(tool.name.clone(), (idx, t));
        }
        for prompt in &plugin.prompts {
            self.by_prompt.insert(prompt.name.clone(), idx);
        }
        self.plugins.push(plugin);
        Ok(())
    }

    async fn load_one(&self, linker: &Linker<CallState>, path: &Path) -> Result<LoadedPlugin> {
        let bytes = std::fs::read(path).context("cannot read the file")?;
        let digest = digest(&bytes);
        let manifest = Manifest::from_component(&bytes)?;
        let config = &self.services.config;
        let grant = config.grants.get(&manifest.name).cloned().filter(|g| match &g.digest {
            Some(d) if *d != digest => {
                tracing::warn!(plugin = %manifest.name, expected = %d, actual = %digest, "grant pinned to another digest: plugin gets no grant");
                false
            }
            _ => true,
        });
        if grant.is_none() {
            tracing::warn!(plugin = %manifest.name, "plugin loaded without a grant: every capability call it makes will be refused; add [grants.{}] to the config", manifest.name);
        }
        let hex_digest = digest.trim_start_matches("sha256:").to_string();
        let engine = self.engine.clone();
        let cache_dir = config.compile_cache.clone();
        let (component, cache_hit) = tokio::task::spawn_blocking(move || {
            cache::load(&engine, cache_dir.as_deref(), &hex_digest, &bytes)
        })
        .await??;
        let Some(wit_version) = component_version(&self.engine, &component) else {
            bail!(
                "the component exports no kube-ai-proxy:plugin/tools interface of a version this host loads ({}); build it against wit/plugin.wit (see docs/plugin-authors.md)",
                wit::VERSIONS.join(", ")
            );
        };
        if manifest.wit != format!("kube-ai-proxy:plugin@{wit_version}") {
            bail!(
                "the manifest says wit = {:?}, but the component was built against kube-ai-proxy:plugin@{wit_version}; fix the manifest",
                manifest.wit
            );
        }
        let link_hint = || {
            format!(
                "the component does not link against this host's kube-ai-proxy:plugin@{wit_version} world (it may import only the kube-ai-proxy:plugin interfaces and the WASI 0.2 interfaces this host provides: see docs/plugin-authors.md)"
            )
        };
        let pre = match wit_version {
            "0.1.0" => Pre::V0_1(wit::v0_1_0::PluginPre::new(
                linker
                    .instantiate_pre(&component)
                    .map_err(anyhow::Error::from)
                    .with_context(link_hint)?,
            )?),
            _ => Pre::V0_2(wit::latest::PluginPre::new(
                linker
                    .instantiate_pre(&component)
                    .map_err(anyhow::Error::from)
                    .with_context(link_hint)?,
            )?),
        };
        let info = Arc::new(PluginInfo {
            manifest,
            digest,
            path: path.to_path_buf(),
            grant,
            cache_hit,
            wit_version,
        });
        let (mut store, _stderr) = self.loading_store(&info);
        let (listed, instructions, prompts) = tokio::time::timeout(LIST_TOOLS_TIMEOUT, async {
            let instance = pre.instantiate(&mut store).await?;
            let tools = instance.list_tools(&mut store).await?;
            let instructions = instance.instructions(&mut store).await?;
            let prompts = instance.list_prompts(&mut store).await?;
            wasmtime::Result::Ok((tools, instructions, prompts))
        })
        .await
        .map_err(|_| anyhow::anyhow!("list-tools did not answer within {LIST_TOOLS_TIMEOUT:?}"))?
        .map_err(|e: wasmtime::Error| anyhow::anyhow!("list-tools failed: {e:#}"))?;
        let mut tools = Vec::new();
        for t in listed {
            if !valid_tool_name(&t.name) {
                bail!(
                    "invalid tool name {:?}: use [A-Za-z0-9_.-], at most 128 characters",
                    t.name
                );
            }
            let schema: serde_json::Value = serde_json::from_str(&t.input_schema)
                .with_context(|| format!("tool {}: input schema is not JSON", t.name))?;
            let serde_json::Value::Object(input_schema) = schema else {
                bail!("tool {}: input schema must be a JSON object", t.name);
            };
            tools.push(ToolDef {
                name: t.name,
                title: t.title,
                description: t.description,
                input_schema,
                annotations: t.annotations,
                truncation_hint: t.truncation_hint,
            });
        }
        for p in &prompts {
            if !valid_tool_name(&p.name) {
                bail!(
                    "invalid prompt name {:?}: use [A-Za-z0-9_.-], at most 128 characters",
                    p.name
                );
            }
        }
        // A declared `[[tools]]` list must be the truth, so reviewers can rely on it.
        info.manifest
            .check_declared_tools(tools.iter().map(|t| t.name.as_str()))?;
        tracing::info!(plugin = %info.manifest.name, digest = %info.digest, wit = wit_version, tools = tools.len(), prompts = prompts.len(), cache_hit, "plugin loaded");
        if info.manifest.capabilities.process.is_some() {
            match capabilities::process::effective_for(&info) {
                Some(eff) => tracing::info!(
                    plugin = %info.manifest.name,
                    programs = ?eff.programs.iter().map(|(n, p)| format!("{n}={}", p.path.display())).collect::<Vec<_>>(),
                    read_dirs = ?eff.read_dirs,
                    urls = ?eff.urls,
                    default_grant = eff.default,
                    landlock = capabilities::process::spawn::landlock_status(),
                    "process grant"
                ),
                None => tracing::warn!(
                    plugin = %info.manifest.name,
                    "no process grant: the plugin asks to run {:?}, but no [grants.{}.process] names it{}; its runs will be refused",
                    info.manifest.capabilities.process.as_ref().map(|p| p.programs.clone()).unwrap_or_default(),
                    info.manifest.name,
                    if info.manifest.name == capabilities::process::grant::DEFAULT_PLUGIN { " and helm is not on the server's PATH" } else { "" }
                ),
            }
        }
        Ok(LoadedPlugin {
            info,
            tools,
            prompts,
            instructions: instructions.filter(|i| !i.trim().is_empty()),
            pre,
        })
    }

    /// A store for load-time and offline calls: capabilities refused, a short deadline.
    fn loading_store(&self, info: &Arc<PluginInfo>) -> (Store<CallState>, MemoryOutputPipe) {
        let unavailable = Arc::new(Channel::Unavailable(
            "capabilities are not available while the host lists a plugin's tools".into(),
        ));
        self.new_store(
            info,
            Caller::default(),
            LIST_TOOLS_TIMEOUT,
            true,
            unavailable,
            None,
        )
    }

    fn new_store(
        &self,
        info: &Arc<PluginInfo>,
        caller: Caller,
        timeout: Duration,
        loading: bool,
        channel: Arc<Channel>,
        progress: Option<capabilities::progress::Sink>,
    ) -> (Store<CallState>, MemoryOutputPipe) {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        // WASI with nothing in it: no preopened directories, no environment, no arguments,
        // no sockets; stdin closed, stdout a sink (writes succeed and are discarded: they
        // would corrupt the stdio protocol stream), stderr captured for the host log.
        let wasi = WasiCtxBuilder::new()
            .stdout(wasmtime_wasi::p2::pipe::SinkOutputStream)
            .stderr(stderr.clone())
            .build();
        let config = &self.services.config;
        let limit = config.memory_limit_bytes;
        let identity = config.identity(match &self.services.kube {
            Ok(svc) => Some(svc.context.clone()),
            Err(_) => config.context.clone(),
        });
        let state = CallState {
            wasi,
            table: ResourceTable::new(),
            limits: super::budget::BudgetedLimits::new(
                StoreLimitsBuilder::new()
                    .memory_size(limit)
                    .instances(32)
                    .tables(64)
                    .memories(8)
                    .trap_on_grow_failure(true)
                    .build(),
                self.budget.clone(),
            ),
            call: Call {
                plugin: info.clone(),
                caller,
                identity,
                policy: config.policy.clone(),
                audit: self.services.audit.clone(),
                max_capability_calls: config.max_capability_calls,
                capability_calls: 0,
                deadline: Instant::now() + timeout,
                loading,
                channel,
                clock: Arc::new(std::sync::Mutex::new(Clock::default())),
                plan: None,
            },
            kube: capabilities::kube::KubeState {
                service: self.services.kube.clone(),
            },
            progress: capabilities::progress::ProgressState { sink: progress },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().call.deadline {
                Ok(UpdateDeadline::Interrupt)
            } else {
                // Yield to the async runtime every tick so a busy plugin never starves
                // other calls, and so the call's timeout future can fire.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        (store, stderr)
    }
}

impl PluginHost {
    /// The loaded plugins, in load order.
    pub fn plugins(&self) -> &[LoadedPlugin] {
        &self.plugins
    }

    /// The plugins that failed to load and were skipped: the file and why.
    pub fn failed(&self) -> &[(PathBuf, String)] {
        &self.failed
    }

    /// Every tool with the plugin that serves it.
    pub fn tools(&self) -> impl Iterator<Item = (&LoadedPlugin, &ToolDef)> {
        self.plugins
            .iter()
            .flat_map(|p| p.tools.iter().map(move |t| (p, t)))
    }

    /// Every prompt with the plugin that serves it.
    pub fn prompts(&self) -> impl Iterator<Item = (&LoadedPlugin, &prompts::Prompt)> {
        self.plugins
            .iter()
            .flat_map(|p| p.prompts.iter().map(move |t| (p, t)))
    }

    /// The plugin and definition of `tool`.
    pub fn find(&self, tool: &str) -> Option<(&LoadedPlugin, &ToolDef)> {
        self.by_tool
            .get(tool)
            .map(|(p, t)| (&self.plugins[*p], &self.plugins[*p].tools[*t]))
    }

    /// The plugin that serves prompt `name`.
    pub fn find_prompt(&self, name: &str) -> Option<&LoadedPlugin> {
        self.by_prompt.get(name).map(|p| &self.plugins[*p])
    }

    /// The shared services.
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// Renders prompt `name` of `plugin` (`prompts/get`), capabilities refused. `Ok(Err)` is
    /// the plugin's own refusal (unknown prompt, invalid arguments). Errors: a trap, or no
    /// answer within 5 s.
    pub async fn get_prompt(
        &self,
        plugin: &LoadedPlugin,
        name: &str,
        arguments: &[(String, String)],
    ) -> Result<Result<prompts::PromptResult, prompts::PromptError>> {
        let tools: Vec<String> = self.tools().map(|(_, t)| t.name.clone()).collect();
        let (mut store, _stderr) = self.loading_store(&plugin.info);
        tokio::time::timeout(LIST_TOOLS_TIMEOUT, async {
            let instance = plugin.pre.instantiate(&mut store).await?;
            instance
                .get_prompt(&mut store, name, arguments, &tools)
                .await
        })
        .await
        .map_err(|_| anyhow::anyhow!("get-prompt did not answer within {LIST_TOOLS_TIMEOUT:?}"))?
        .map_err(|e| anyhow::anyhow!("get-prompt failed: {e:#}"))
    }

    /// Calls only `plan-call` for `tool` (capabilities refused), e.g. for `policy check`.
    /// Errors: the plugin's own error text, a trap, or no answer within 5 s.
    pub async fn plan(
        &self,
        plugin: &LoadedPlugin,
        tool: &str,
        arguments: &str,
        ctx: types::CallContext,
    ) -> Result<Option<tools::CallPlan>> {
        let (mut store, _stderr) = self.loading_store(&plugin.info);
        let r = tokio::time::timeout(LIST_TOOLS_TIMEOUT, async {
            let instance = plugin.pre.instantiate(&mut store).await?;
            instance.plan_call(&mut store, tool, arguments, &ctx).await
        })
        .await
        .map_err(|_| anyhow::anyhow!("plan-call did not answer within {LIST_TOOLS_TIMEOUT:?}"))?
        .map_err(|e| anyhow::anyhow!("plan-call failed: {e:#}"))?;
        r.map_err(|e| match e {
            tools::ToolError::InvalidArguments(m) => anyhow::anyhow!("invalid arguments: {m}"),
            tools::ToolError::UnknownTool(m) => anyhow::anyhow!("unknown tool: {m}"),
            tools::ToolError::Failed(m) => anyhow::anyhow!("{m}"),
        })
    }

    /// Runs one tool call in a fresh store: `plan-call`, the policy's command rules on the
    /// declared command, then `call-tool` on the same instance. Never panics and never hangs
    /// past `timeout` plus the time spent waiting for a person's confirmation: a trap, a
    /// timeout or a memory fault ends this call only. Also returns the declared command.
    ///
    /// `cancel` (the MCP request's cancellation token, `notifications/cancelled` or the end
    /// of the session) stops the call at once: the plugin's future is dropped, so no
    /// capability call is made after it, a pending confirmation included
    /// ([`CallOutcome::Cancelled`]). Before the plugin starts, the call waits up to 2 s for the
    /// shared memory budget ([`CallOutcome::Overloaded`] otherwise).
    #[allow(clippy::too_many_arguments)]
    pub async fn call(
        &self,
        plugin: &LoadedPlugin,
        caller: Caller,
        tool: &str,
        arguments: &str,
        ctx: types::CallContext,
        timeout: Duration,
        channel: Arc<Channel>,
        progress: Option<capabilities::progress::Sink>,
        cancel: tokio_util::sync::CancellationToken,
    ) -> (CallOutcome, Option<tools::CallPlan>) {
        if let Err(why) = self.budget.admit(Duration::from_secs(2)).await {
            return (CallOutcome::Overloaded(why), None);
        }
        let (mut store, stderr) =
            self.new_store(&plugin.info, caller, timeout, false, channel, progress);
        let clock = store.data().call.clock.clone();
        let policy = &self.services.config.policy;
        let run = async {
            let instance = plugin.pre.instantiate(&mut store).await?;
            let plan = match instance
                .plan_call(&mut store, tool, arguments, &ctx)
                .await?
            {
                Ok(p) => p,
                Err(e) => return Ok((CallOutcome::Returned(Err(e)), None)),
            };
            if let Some(plan) = &plan
                && policy.mode != crate::policy::Mode::Permissive
                && let Some((rule, reason)) = policy.commands.check(&plan.family, &plan.command)
            {
                return Ok((CallOutcome::Denied { rule, reason }, Some(plan.clone())));
            }
            store.data_mut().call.plan = plan.clone();
            let r = instance
                .call_tool(&mut store, tool, arguments, &ctx)
                .await?;
            wasmtime::Result::Ok((CallOutcome::Returned(r), plan))
        };
        tokio::pin!(run);
        let started = Instant::now();
        let result = loop {
            // The timeout is paused while a person is asked, and extended by that time.
            let (asking, extra) = {
                let c = clock.lock().unwrap_or_else(|p| p.into_inner());
                (c.asking, c.extra)
            };
            let until = if asking {
                Instant::now() + Duration::from_millis(200)
            } else {
                started + timeout + extra
            };
            let step = tokio::select! {
                r = tokio::time::timeout_at(until.into(), &mut run) => r,
                _ = cancel.cancelled() => return (CallOutcome::Cancelled, None),
            };
            match step {
                Ok(r) => break Some(r),
                Err(_) => {
                    let c = clock.lock().unwrap_or_else(|p| p.into_inner());
                    if !c.asking && Instant::now() >= started + timeout + c.extra {
                        break None;
                    }
                }
            }
        };
        let err: wasmtime::Error = match result {
            None => return (CallOutcome::Timeout(timeout), None),
            Some(Ok(r)) => return r,
            Some(Err(e)) => e,
        };
        let captured = String::from_utf8_lossy(&stderr.contents()).into_owned();
        if !captured.is_empty() {
            tracing::warn!(plugin = %plugin.info.manifest.name, stderr = %captured.trim_end(), "plugin stderr");
        }
        if let Some(trap) = err.downcast_ref::<wasmtime::Trap>()
            && *trap == wasmtime::Trap::Interrupt
        {
            return (CallOutcome::Timeout(timeout), None);
        }
        let text = format!("{err:#}");
        if text.contains(super::budget::BUDGET_SPENT) {
            return (
                CallOutcome::Overloaded(format!(
                    "Server busy: {} while plugin {} ran; the call was stopped. Retry when other calls finish",
                    super::budget::BUDGET_SPENT,
                    plugin.info.manifest.name
                )),
                None,
            );
        }
        if text.contains("forcing trap when growing memory") || text.contains("memory size") {
            return (
                CallOutcome::OutOfMemory(self.services.config.memory_limit_bytes),
                None,
            );
        }
        let panic_line = captured
            .lines()
            .find(|l| l.contains("panicked"))
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        (CallOutcome::Trap(format!("{text}{panic_line}")), None)
    }
}
