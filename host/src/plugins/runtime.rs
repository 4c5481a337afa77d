//! The plugin runtime: one wasmtime `Engine` and `Linker`, one `InstancePre` per plugin, and a
//! fresh `Store` per call with a memory limit (`StoreLimits`) and a deadline enforced by epoch
//! interruption (a ticker thread advances the engine's epoch every [`EPOCH_TICK`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use sha2::{Digest as _, Sha256};
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::{Plugin, PluginPre, tools, types};
use super::cache;
use super::manifest::Manifest;
use crate::audit::Caller;
use crate::config::{Config, Grant};
use crate::services::Services;

/// How often the engine's epoch advances; the granularity of call deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Deadline for a plugin's `list-tools` at load time.
pub const LIST_TOOLS_TIMEOUT: Duration = Duration::from_secs(5);
/// Bytes of a plugin's stderr kept per call (for panic messages in the host log).
const STDERR_CAPTURE: usize = 16 * 1024;

/// One tool as the host serves it.
#[derive(Debug, Clone)]
pub struct ToolDef {
    pub name: String,
    pub title: Option<String>,
    pub description: String,
    /// The JSON Schema of the arguments (a JSON object).
    pub input_schema: serde_json::Map<String, serde_json::Value>,
    pub annotations: tools::Annotations,
}

/// What the host knows about a loaded plugin.
#[derive(Debug)]
pub struct PluginInfo {
    pub manifest: Manifest,
    /// `sha256:<hex>` of the `.wasm` file.
    pub digest: String,
    pub path: PathBuf,
    /// The operator's grant for this plugin, if any applies to this digest.
    pub grant: Option<Grant>,
    /// Whether the compiled artifact came from the compile cache.
    pub cache_hit: bool,
}

/// A loaded plugin: its description, tools, and its pre-linked instance.
pub struct LoadedPlugin {
    pub info: Arc<PluginInfo>,
    pub tools: Vec<ToolDef>,
    pre: PluginPre<CallState>,
}

/// Per-call store state: WASI with nothing in it, limits, and what capability calls need.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    /// The plugin being called.
    pub plugin: Arc<PluginInfo>,
    /// Shared host services (kube client, audit log, config).
    pub services: Arc<Services>,
    /// Who the call is for, for audit records.
    pub caller: Caller,
    /// Capability calls made so far in this call.
    pub capability_calls: u32,
    /// When the call must end.
    pub deadline: Instant,
    /// True while serving `list-tools` at load time: capabilities are refused.
    pub loading: bool,
    /// How this call can ask a person to confirm a request.
    pub channel: Arc<crate::confirm::Channel>,
    /// Time spent waiting for a person, which does not count against the call's timeout.
    pub clock: Arc<std::sync::Mutex<Clock>>,
    /// What the plugin declared the call stands for (`plan-call`), if anything.
    pub plan: Option<tools::CallPlan>,
}

/// The part of a call's clock shared with the task that enforces its timeout.
#[derive(Debug, Default)]
pub struct Clock {
    /// A person is being asked right now: the timeout is paused.
    pub asking: bool,
    /// Total time spent waiting for people so far.
    pub extra: Duration,
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

/// How a call ended when it did not return normally.
#[derive(Debug)]
pub enum CallOutcome {
    /// The plugin returned.
    Returned(Result<tools::ToolOutput, tools::ToolError>),
    /// The deadline passed.
    Timeout(Duration),
    /// The plugin hit its memory limit.
    OutOfMemory(usize),
    /// The plugin trapped (a panic, an `unreachable`, a bad memory access...).
    Trap(String),
    /// The policy refused the call's declared command before it ran (seed command rules).
    Denied { rule: String, reason: String },
}

/// All loaded plugins and the engine that runs them.
pub struct PluginHost {
    engine: Engine,
    plugins: Vec<LoadedPlugin>,
    by_tool: HashMap<String, (usize, usize)>,
    services: Arc<Services>,
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

fn new_linker(engine: &Engine) -> Result<Linker<CallState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    Plugin::add_to_linker::<_, HasSelf<CallState>>(&mut linker, |s| s)?;
    Ok(linker)
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
    /// Loads every plugin the config names. Errors name the plugin file and what is wrong:
    /// unreadable file, missing or invalid manifest, a component that does not link against
    /// this host's WIT, a `list-tools` that traps or times out, invalid tool names or
    /// schemas, or a tool name served by two plugins.
    pub async fn load(services: Arc<Services>) -> Result<PluginHost> {
        let engine = new_engine()?;
        let linker = new_linker(&engine)?;
        let mut host = PluginHost {
            engine,
            plugins: Vec::new(),
            by_tool: HashMap::new(),
            services,
        };
        let paths = plugin_paths(&host.services.config)?;
        for path in paths {
            let plugin = host
                .load_one(&linker, &path)
                .await
                .with_context(|| format!("cannot load plugin {}", path.display()))?;
            host.add(plugin)?;
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
        for (t, tool) in plugin.tools.iter().enumerate() {
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
            self.by_tool.insert(tool.name.clone(), (idx, t));
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
        let hex_digest = digest.trim_start_matches("sha256:").to_string();
        let engine = self.engine.clone();
        let cache_dir = config.compile_cache.clone();
        let (component, cache_hit) = tokio::task::spawn_blocking(move || {
            cache::load(&engine, cache_dir.as_deref(), &hex_digest, &bytes)
        })
        .await??;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .context("the component does not link against this host (it must target the world kube-ai-proxy:plugin/plugin@0.1.0)")?;
        let pre = PluginPre::new(pre)?;
        let info = Arc::new(PluginInfo {
            manifest,
            digest,
            path: path.to_path_buf(),
            grant,
            cache_hit,
        });
        let unavailable = Arc::new(crate::confirm::Channel::Unavailable(
            "capabilities are not available while the host lists a plugin's tools".into(),
        ));
        let (mut store, _stderr) = self.new_store(
            &info,
            Caller::default(),
            LIST_TOOLS_TIMEOUT,
            true,
            unavailable,
        );
        let listed = tokio::time::timeout(LIST_TOOLS_TIMEOUT, async {
            let instance = pre.instantiate_async(&mut store).await?;
            instance
                .kube_ai_proxy_plugin_tools()
                .call_list_tools(&mut store)
                .await
        })
        .await
        .map_err(|_| anyhow::anyhow!("list-tools did not answer within {LIST_TOOLS_TIMEOUT:?}"))?
        .map_err(|e| anyhow::anyhow!("list-tools failed: {e:#}"))?;
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
            });
        }
        // A declared `[[tools]]` list must be the truth, so reviewers can rely on it.
        info.manifest
            .check_declared_tools(tools.iter().map(|t| t.name.as_str()))?;
        tracing::info!(plugin = %info.manifest.name, digest = %info.digest, tools = tools.len(), cache_hit, "plugin loaded");
        Ok(LoadedPlugin { info, tools, pre })
    }

    fn new_store(
        &self,
        info: &Arc<PluginInfo>,
        caller: Caller,
        timeout: Duration,
        loading: bool,
        channel: Arc<crate::confirm::Channel>,
    ) -> (Store<CallState>, MemoryOutputPipe) {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        // WASI with nothing in it: no preopened directories, no environment, no arguments,
        // no sockets; stdin closed, stdout a sink (writes succeed and are discarded: they
        // would corrupt the stdio protocol stream), stderr captured for the host log.
        let wasi = WasiCtxBuilder::new()
            .stdout(wasmtime_wasi::p2::pipe::SinkOutputStream)
            .stderr(stderr.clone())
            .build();
        let limit = self.services.config.memory_limit_bytes;
        let state = CallState {
            wasi,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(limit)
                .instances(32)
                .tables(64)
                .memories(8)
                .trap_on_grow_failure(true)
                .build(),
            plugin: info.clone(),
            services: self.services.clone(),
            caller,
            capability_calls: 0,
            deadline: Instant::now() + timeout,
            loading,
            channel,
            clock: Arc::new(std::sync::Mutex::new(Clock::default())),
            plan: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().deadline {
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

    /// Every tool with the plugin that serves it.
    pub fn tools(&self) -> impl Iterator<Item = (&LoadedPlugin, &ToolDef)> {
        self.plugins
            .iter()
            .flat_map(|p| p.tools.iter().map(move |t| (p, t)))
    }

    /// The plugin and definition of `tool`.
    pub fn find(&self, tool: &str) -> Option<(&LoadedPlugin, &ToolDef)> {
        self.by_tool
            .get(tool)
            .map(|(p, t)| (&self.plugins[*p], &self.plugins[*p].tools[*t]))
    }

    /// The shared services.
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// Calls only `plan-call` for `tool` (capabilities refused), e.g. for `policy check`.
    /// Errors: the plugin's own error text, a trap, or no answer within 10 s.
    pub async fn plan(
        &self,
        plugin: &LoadedPlugin,
        tool: &str,
        arguments: &str,
        ctx: types::CallContext,
    ) -> Result<Option<tools::CallPlan>> {
        let unavailable = Arc::new(crate::confirm::Channel::Unavailable("offline".into()));
        let (mut store, _stderr) = self.new_store(
            &plugin.info,
            Caller::default(),
            LIST_TOOLS_TIMEOUT,
            true,
            unavailable,
        );
        let r = tokio::time::timeout(LIST_TOOLS_TIMEOUT, async {
            let instance = plugin.pre.instantiate_async(&mut store).await?;
            instance
                .kube_ai_proxy_plugin_tools()
                .call_plan_call(&mut store, tool, arguments, &ctx)
                .await
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
    #[allow(clippy::too_many_arguments)]
    pub async fn call(
        &self,
        plugin: &LoadedPlugin,
        caller: Caller,
        tool: &str,
        arguments: &str,
        ctx: types::CallContext,
        timeout: Duration,
        channel: Arc<crate::confirm::Channel>,
    ) -> (CallOutcome, Option<tools::CallPlan>) {
        let (mut store, stderr) = self.new_store(&plugin.info, caller, timeout, false, channel);
        let clock = store.data().clock.clone();
        let policy = &self.services.config.policy;
        let run = async {
            let instance = plugin.pre.instantiate_async(&mut store).await?;
            let exports = instance.kube_ai_proxy_plugin_tools();
            let plan = match exports
                .call_plan_call(&mut store, tool, arguments, &ctx)
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
            store.data_mut().plan = plan.clone();
            let r = exports
                .call_call_tool(&mut store, tool, arguments, &ctx)
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
            match tokio::time::timeout_at(until.into(), &mut run).await {
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
