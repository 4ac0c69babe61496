use super::*;

/// Template names visible in one flow.
pub(super) struct Scope {
    /// The role whose token helper ran last in this flow.
    pub(super) role: Option<usize>,
    pub(super) captures: Vec<String>,
}

pub(super) struct Converter<'a> {
    pub(super) file: &'a Path,
    pub(super) source: &'a str,
    pub(super) lines: Vec<&'a str>,
    pub(super) todos: Vec<Todo>,
    /// Comments collected for the item being converted.
    pub(super) notes: Vec<String>,
    pub(super) target: Option<String>,
    pub(super) var_names: Vec<String>,
    pub(super) vars: Vec<OutVar>,
    /// `config.defaults.headers` entries holding templates: (name, text, line).
    pub(super) template_headers: Vec<(String, String, usize)>,
    /// The target's roles for token helpers; `None`: helpers stay TODOs.
    pub(super) recipe: Option<&'a ImportRecipe>,
    pub(super) roles_used: Vec<bool>,
}

impl<'a> Converter<'a> {
    pub(super) fn new(file: &'a Path, source: &'a str, recipe: Option<&'a ImportRecipe>) -> Self {
        Converter {
            file,
            source,
            lines: source.lines().collect(),
            todos: Vec::new(),
            notes: Vec::new(),
            target: None,
            var_names: Vec::new(),
            vars: Vec::new(),
            template_headers: Vec::new(),
            recipe,
            roles_used: vec![false; recipe.map_or(0, |r| r.roles.len())],
        }
    }

    pub(super) fn err(&self, loc: &Location, message: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.file, self.source, range_of(self.source, loc), message)
    }

    pub(super) fn err_at_end(&self, message: impl Into<String>) -> ScenarioError {
        let end = self.source.len();
        ScenarioError::at(self.file, self.source, Some(end..end), message)
    }

    /// Records a TODO and returns its comment line.
    pub(super) fn todo(&mut self, line: usize, what: impl Into<String>) -> String {
        let what = one_line(&what.into());
        let comment = format!("# TODO (line {line}): {what}");
        self.todos.push(Todo { line, what });
        comment
    }

    /// Records a TODO and keeps its comment for the item being converted.
    pub(super) fn note(&mut self, line: usize, what: impl Into<String>) {
        let comment = self.todo(line, what);
        self.notes.push(comment);
    }

    pub(super) fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// The line of `key:` whose value is `node` (a block value starts below its key).
    pub(super) fn key_line(&self, node: &Node, key: &str) -> usize {
        let start = node.line();
        let mut line = start.min(self.lines.len());
        while line >= 1 && start - line <= 20 {
            if declares_key(self.lines[line - 1], key) {
                return line;
            }
            line -= 1;
        }
        start
    }

    /// Notes each present key as not converted, with the reason.
    pub(super) fn unconverted(&mut self, what: &str, entries: &[(&str, &Option<Node>, &str)]) {
        let present = entries.iter().filter_map(|&(key, node, why)| node.as_ref().map(|n| (key, n, why)));
        for (key, node, why) in present {
            let line = self.key_line(node, key);
            self.note(line, format!("{what}{key}: {} {why}", summary(node)));
        }
    }

    pub(super) fn run(mut self, doc: &RawDoc) -> Result<Conversion, ScenarioError> {
        let config = &doc.config.value;
        if let Some(t) = &config.target {
            let url = t.value.trim();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(self
                    .err(&t.referenced, format!("invalid target {url:?}"))
                    .expected("an http:// or https:// URL")
                    .hint("the importer reads Artillery's HTTP engine"));
            }
            self.target = Some(url.trim_end_matches('/').to_string());
        }
        let processor = if self.recipe.is_some() {
            "is not converted: its JavaScript does not run in proofdeck (token helpers the profile's [import] roles name become [[setup]])"
        } else {
            "is not converted: its JavaScript does not run in proofdeck (a target profile's [import] roles can turn token helpers into [[setup]])"
        };
        self.unconverted(
            "config.",
            &[
                (
                    "plugins",
                    &config.plugins,
                    "is not converted: proofdeck checks status codes and KPIs itself, without plugins",
                ),
                ("processor", &config.processor, processor),
                (
                    "environments",
                    &config.environments,
                    "is not converted: make one scenario per environment, or pass --target",
                ),
                ("payload", &config.payload, "is not converted: put the CSV's values in [vars] lists"),
                ("tls", &config.tls, "is not converted"),
                ("ensure", &config.ensure, "is not converted: set the thresholds in [kpi]"),
                ("engines", &config.engines, "is not converted: proofdeck speaks HTTP"),
                ("includeFiles", &config.include_files, "is not converted"),
                ("socketio", &config.socketio, "is not converted: proofdeck speaks HTTP"),
                ("ws", &config.ws, "is not converted: proofdeck speaks HTTP"),
            ],
        );
        self.unconverted(
            "",
            &[
                (
                    "before",
                    &doc.before,
                    "(a flow run once before the load) is not converted: put its requests in [[setup]]",
                ),
                ("after", &doc.after, "(a flow run once after the load) is not converted"),
            ],
        );

        let mut default_headers: Vec<(String, String)> = Vec::new();
        if let Some(defaults) = &config.defaults {
            if let Some(headers) = &defaults.headers {
                let Yaml::Map(entries) = &headers.value else {
                    return Err(self
                        .err(&headers.loc, "config.defaults.headers is not a mapping")
                        .expected("header names with their values"));
                };
                for (name, value) in entries {
                    match value.scalar_text() {
                        Some(text) if text.contains("{{") => {
                            self.template_headers.push((name.clone(), text, value.line()));
                        }
                        Some(text) => default_headers.push((name.clone(), text)),
                        None => self.note(
                            value.line(),
                            format!("default header {name}: {} is not a plain value; left out", summary(value)),
                        ),
                    }
                }
            }
            self.unconverted(
                "config.defaults.",
                &[
                    ("think", &defaults.think, "is not converted: proofdeck flows send their steps back to back"),
                    ("cookie", &defaults.cookie, "is not converted: set a Cookie header"),
                ],
            );
        }
        let mut timeout = None;
        if let Some(http) = &config.http {
            match &http.value {
                Yaml::Map(entries) => {
                    for (key, value) in entries {
                        let secs = match &value.value {
                            Yaml::Int(i) => Some(*i as f64),
                            Yaml::Float(f) => Some(*f),
                            _ => None,
                        };
                        match secs {
                            Some(s) if key == "timeout" && s.is_finite() && s >= 0.001 => {
                                timeout = Some(duration::format(Duration::from_secs_f64(s)));
                            }
                            _ => {
                                let line = self.key_line(value, key);
                                self.note(line, format!("config.http.{key}: {} is not converted", summary(value)));
                            }
                        }
                    }
                }
                _ => {
                    let line = self.key_line(http, "http");
                    self.note(line, format!("config.http: {} is not converted", summary(http)));
                }
            }
        }
        let head = self.take_notes();

        if let Some(variables) = &config.variables {
            self.variables(variables)?;
        }

        let phases = self.phases(&doc.config)?;

        let Some(scenarios) = &doc.scenarios else {
            return Err(self
                .err_at_end("the script has no scenarios")
                .expected("scenarios: a list of flows, each with a weight and flow steps"));
        };
        if scenarios.value.is_empty() {
            return Err(self
                .err(&scenarios.referenced, "scenarios is empty")
                .expected("at least one scenario with flow steps"));
        }
        let mut flows = Vec::new();
        for (i, scenario) in scenarios.value.iter().enumerate() {
            flows.push(self.flow(i, scenario)?);
        }
        if flows.iter().all(|f| f.left_out.is_some()) {
            return Err(self
                .err(&scenarios.referenced, "no scenario has a request that converts to a proofdeck flow")
                .hint("proofdeck flows are HTTP requests: get, post, put, patch, delete"));
        }

        let mut todos = std::mem::take(&mut self.todos);
        todos.sort_by_key(|t| t.line);
        let toml = self.render(&head, &default_headers, timeout.as_deref(), &phases, &flows, todos.len());
        Ok(Conversion { toml, todos })
    }

    pub(super) fn variables(&mut self, node: &Node) -> Result<(), ScenarioError> {
        let Yaml::Map(entries) = &node.value else {
            return Err(self
                .err(&node.loc, "config.variables is not a mapping")
                .expected("variable names with a value or a list of values"));
        };
        for (name, value) in entries {
            let line = self.key_line(value, name);
            let items: Vec<&Node> = match &value.value {
                Yaml::Seq(items) => items.iter().collect(),
                _ => vec![value],
            };
            let mut values = Vec::new();
            for item in items {
                match scalar_out(item) {
                    Some(Out::Str(s)) if s.contains("{{") => {
                        self.note(
                            item.line(),
                            format!(
                                "variable {name}: {s:?} holds a template; proofdeck uses variable values as they are"
                            ),
                        );
                        values.push(Out::Str(s));
                    }
                    Some(v) => values.push(v),
                    None => self.note(
                        item.line(),
                        format!("variable {name}: {} is not a plain value; left out", summary(item)),
                    ),
                }
            }
            if values.is_empty() {
                self.note(line, format!("variable {name} has no plain values; a placeholder stands in"));
                values.push(Out::Str(format!("todo-{name}")));
            }
            let comments = self.take_notes();
            self.var_names.push(name.clone());
            self.vars.push(OutVar { comments, name: name.clone(), values });
        }
        Ok(())
    }

    pub(super) fn phases(&mut self, config: &Spanned<RawConfig>) -> Result<Vec<OutPhase>, ScenarioError> {
        let Some(phases) = &config.value.phases else {
            return Err(self
                .err(&config.referenced, "config has no phases")
                .expected("phases: a list such as - { duration: 60, arrivalRate: 5 }"));
        };
        if phases.value.is_empty() {
            return Err(self
                .err(&phases.referenced, "config.phases is empty")
                .expected("at least one phase with duration and arrivalRate"));
        }
        let mut out = Vec::new();
        for (i, phase) in phases.value.iter().enumerate() {
            out.push(self.phase(i, phase)?);
        }
        Ok(out)
    }

    pub(super) fn phase(&mut self, index: usize, phase: &Spanned<RawPhase>) -> Result<OutPhase, ScenarioError> {
        let raw = &phase.value;
        let name = raw.name.clone().unwrap_or_else(|| format!("phase-{}", index + 1));
        let line = line_of(&phase.referenced);
        if let Some(max) = &raw.max_vusers {
            let l = self.key_line(max, "maxVusers");
            self.note(
                l,
                format!(
                    "maxVusers: {} is not converted per phase; [defaults] max_inflight caps the whole run",
                    summary(max)
                ),
            );
        }
        if let Some(pause) = &raw.pause {
            let duration = self.seconds(pause, &name, "pause")?;
            if raw.duration.is_some() || raw.arrival_rate.is_some() || raw.arrival_count.is_some() {
                self.note(line, format!("phase {name:?} has pause with other settings; converted as a pause (rate 0)"));
            }
            return Ok(OutPhase { comments: self.take_notes(), name, duration, rate: 0.0, ramp_to: None });
        }
        let Some(d) = &raw.duration else {
            return Err(self
                .err(&phase.referenced, format!("phase {name:?} has no duration"))
                .expected("duration: seconds, or pause: seconds"));
        };
        let duration = self.seconds(d, &name, "duration")?;
        let rate = match (&raw.arrival_rate, &raw.arrival_count) {
            (Some(rate), count) => {
                if let Some(count) = count {
                    self.note(
                        line_of(&count.referenced),
                        format!("phase {name:?}: arrivalCount {} is ignored next to arrivalRate", count.value),
                    );
                }
                self.rate(rate, &name, "arrivalRate")?
            }
            (None, Some(count)) => {
                let total = self.rate(count, &name, "arrivalCount")?;
                let rate = total / duration.as_secs_f64();
                if rate > 1_000_000.0 {
                    return Err(self
                        .err(
                            &count.referenced,
                            format!("phase {name:?} has arrivalCount {total} in {}", duration::format(duration)),
                        )
                        .expected("at most 1000000 arrivals per second"));
                }
                self.notes.push(format!(
                    "# line {}: arrivalCount {total} over {} is a rate of {rate}/s",
                    line_of(&count.referenced),
                    duration::format(duration)
                ));
                rate
            }
            (None, None) => {
                return Err(self
                    .err(&phase.referenced, format!("phase {name:?} has no arrivalRate"))
                    .expected("arrivalRate: arrivals per second"))
            }
        };
        let ramp_to = raw.ramp_to.as_ref().map(|r| self.rate(r, &name, "rampTo")).transpose()?;
        Ok(OutPhase { comments: self.take_notes(), name, duration, rate, ramp_to })
    }

    pub(super) fn seconds(&self, value: &Spanned<Secs>, phase: &str, key: &str) -> Result<Duration, ScenarioError> {
        let (secs, shown) = match &value.value {
            Secs::Number(n) => (Some(*n), n.to_string()),
            Secs::Text(t) => {
                (t.trim().parse::<f64>().ok().or_else(|| duration::parse(t).map(|d| d.as_secs_f64())), format!("{t:?}"))
            }
        };
        match secs {
            Some(s) if s.is_finite() && (0.001..=31_536_000.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
            _ => Err(self
                .err(&value.referenced, format!("phase {phase:?} has {key} {shown}"))
                .expected("seconds above 0, or a duration such as 90s, 10m or 2h")),
        }
    }

    pub(super) fn rate(&self, value: &Spanned<f64>, phase: &str, key: &str) -> Result<f64, ScenarioError> {
        let v = value.value;
        if v.is_finite() && (0.0..=1_000_000.0).contains(&v) {
            Ok(v)
        } else {
            Err(self
                .err(&value.referenced, format!("phase {phase:?} has {key} {v}"))
                .expected("arrivals per second between 0 and 1000000"))
        }
    }
}
