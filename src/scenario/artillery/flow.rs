use super::*;

/// What a `$prevResponse` expression is replaced with.
const PREV_RESPONSE: &str = "previous-response";
/// What another expression proofdeck cannot evaluate is replaced with.
const UNSUPPORTED: &str = "TODO";

impl Converter<'_> {
    pub(super) fn flow(&mut self, index: usize, scenario: &Spanned<RawScenario>) -> Result<OutFlow, ScenarioError> {
        let raw = &scenario.value;
        let name = raw.name.clone().unwrap_or_else(|| format!("scenario-{}", index + 1));
        if let Some(engine) = &raw.engine {
            if engine.value != "http" {
                return Err(self
                    .err(&engine.referenced, format!("scenario {name:?} uses the {:?} engine", engine.value))
                    .expected("the http engine")
                    .hint("proofdeck imports HTTP scenarios only"));
            }
        }
        let weight = match &raw.weight {
            Some(w) if w.value.is_finite() && w.value >= 0.0 => w.value,
            Some(w) => {
                return Err(self
                    .err(&w.referenced, format!("scenario {name:?} has weight {}", w.value))
                    .expected("a weight of 0 or more"))
            }
            None => 1.0,
        };
        let hook = "is not converted: JavaScript hooks do not run in proofdeck";
        self.unconverted(
            "",
            &[
                ("beforeScenario", &raw.before_scenario, hook),
                ("afterScenario", &raw.after_scenario, hook),
                ("beforeRequest", &raw.before_request, hook),
                ("afterResponse", &raw.after_response, hook),
            ],
        );
        let comments = self.take_notes();
        let Some(steps) = &raw.flow else {
            return Err(self
                .err(&scenario.referenced, format!("scenario {name:?} has no flow"))
                .expected("flow: a list of steps such as - get: { url: \"/\" }"));
        };
        let mut flow = OutFlow {
            line: line_of(&scenario.referenced),
            name,
            weight,
            kind: None,
            comments,
            steps: Vec::new(),
            trailing: Vec::new(),
            left_out: None,
        };
        let mut scope = Scope { role: None, captures: Vec::new() };
        for step in &steps.value {
            if let Some(out) = self.step(step, &mut scope)? {
                flow.steps.push(out);
            }
        }
        flow.trailing = self.take_notes();

        if flow.steps.is_empty() {
            let reason = format!("scenario {:?} has no request that converts; left out", flow.name);
            flow.left_out = Some(self.todo(flow.line, reason));
        } else if weight <= 0.0 {
            let reason = format!("scenario {:?} has weight 0 and never runs; left out", flow.name);
            flow.left_out = Some(self.todo(line_of(&scenario.referenced), reason));
        } else if flow.steps.iter().all(|s| matches!(s.expect.as_deref(), Some([403]))) {
            let proof = flow.steps.iter().any(|s| match &s.body {
                Some(Out::Table(entries)) => entries.iter().any(|(k, _)| k == "proof_payload"),
                _ => false,
            });
            flow.kind = Some(if proof { "security" } else { "denial" });
        }
        Ok(flow)
    }

    /// One flow item; `Some` for a request, `None` for what only leaves a comment.
    pub(super) fn step(
        &mut self,
        step: &Spanned<RawFlowStep>,
        scope: &mut Scope,
    ) -> Result<Option<OutStep>, ScenarioError> {
        let s = &step.value;
        let line = line_of(&step.referenced);
        let requests: [(&str, &'static str, &Option<RawRequest>); 7] = [
            ("get", "GET", &s.get),
            ("post", "POST", &s.post),
            ("put", "PUT", &s.put),
            ("patch", "PATCH", &s.patch),
            ("delete", "DELETE", &s.delete),
            ("head", "HEAD", &s.head),
            ("options", "OPTIONS", &s.options),
        ];
        let others: [(&str, bool); 5] = [
            ("function", s.function.is_some()),
            ("think", s.think.is_some()),
            ("loop", s.loop_steps.is_some()),
            ("log", s.log.is_some()),
            ("parallel", s.parallel.is_some()),
        ];
        let actions: Vec<&str> = requests
            .iter()
            .filter(|(_, _, r)| r.is_some())
            .map(|(k, _, _)| *k)
            .chain(others.iter().filter(|(_, present)| *present).map(|(k, _)| *k))
            .collect();
        if actions.len() != 1 {
            let message = if actions.is_empty() {
                "this flow step has no action".to_string()
            } else {
                format!("this flow step has several actions: {}", actions.join(", "))
            };
            return Err(self
                .err(&step.referenced, message)
                .expected("one of get, post, put, patch, delete, head, options, function, think, loop, log, parallel")
                .hint("start each step with its own - in the flow list"));
        }
        let stray = [("count", &s.count), ("over", &s.over), ("whileTrue", &s.while_true)]
            .into_iter()
            .find_map(|(key, node)| node.as_ref().map(|n| (key, n)));
        if let (None, Some((key, node))) = (&s.loop_steps, stray) {
            return Err(self
                .err(&node.loc, format!("{key} outside a loop step"))
                .expected(format!("{key} next to loop: in the same step")));
        }
        let request = requests.iter().find_map(|&(_, method, r)| r.as_ref().map(|r| (method, r)));
        if let Some((method, request)) = request {
            return self.request(method, request, scope).map(Some);
        }
        if let Some(function) = &s.function {
            let name = function.value.trim();
            let at = line_of(&function.referenced);
            match self.recipe.and_then(|recipe| Some((recipe, recipe.role_of_helper(name)?))) {
                Some((recipe, role)) => {
                    scope.role = Some(role);
                    self.roles_used[role] = true;
                    let fields: Vec<String> =
                        recipe.pool_fields.keys().map(|f| format!("{{{{ {}.{f} }}}}", recipe.roles[role].name)).collect();
                    self.notes.push(format!(
                        "# line {at}: function {name} -> {} from the {:?} pool (see [[setup]])",
                        fields.join(", "),
                        recipe.roles[role].name
                    ));
                }
                None => self.note(
                    at,
                    format!("function {name:?} is not converted: processor JavaScript does not run in proofdeck (a target profile's [import] roles can map token helpers)"),
                ),
            }
        } else if let Some(think) = &s.think {
            self.note(
                line,
                format!("think {} is not converted: proofdeck flows send their steps back to back", summary(think)),
            );
        } else if let Some(body) = &s.loop_steps {
            let count = s.count.as_ref().map(|c| format!(", count {}", summary(c))).unwrap_or_default();
            self.note(
                line,
                format!(
                    "loop over {}{count} is not converted: repeat its steps in the flow or raise the flow's weight",
                    summary(body)
                ),
            );
        } else if let Some(log) = &s.log {
            self.note(line, format!("log {} is not converted", summary(log)));
        } else if let Some(parallel) = &s.parallel {
            self.note(
                line,
                format!("parallel {} is not converted: proofdeck sends a flow's steps in order", summary(parallel)),
            );
        }
        Ok(None)
    }

    pub(super) fn request(
        &mut self,
        method: &'static str,
        req: &RawRequest,
        scope: &mut Scope,
    ) -> Result<OutStep, ScenarioError> {
        let before = self.take_notes();
        let path = self.path(&req.url, scope);
        let mut step = OutStep::new(method, &path);
        step.before = before;

        if let Some(headers) = &req.headers {
            let Yaml::Map(entries) = &headers.value else {
                return Err(self
                    .err(&headers.loc, "headers is not a mapping")
                    .expected("header names with their values"));
            };
            for (name, value) in entries {
                match value.scalar_text() {
                    Some(text) => {
                        let text = self.template(&text, value.line(), scope);
                        step.headers.push((name.clone(), text));
                    }
                    None => self.note(
                        value.line(),
                        format!("header {name}: {} is not a plain value; left out", summary(value)),
                    ),
                }
            }
        }
        for (name, text, line) in self.template_headers.clone() {
            if !step.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(&name)) {
                let text = self.template(&text, line, scope);
                step.headers.push((name, text));
            }
        }
        if let Some(json) = &req.json {
            step.body = self.body(json, scope);
        }
        let tool = literal_field(step.body.as_ref(), "tool");
        let action = literal_field(step.body.as_ref(), "action");
        step.name = match (&req.name, &tool, &action) {
            (Some(name), _, _) => Some(name.clone()),
            (None, Some(tool), Some(action)) => Some(format!("{tool} {action}")),
            _ => None,
        };
        step.tool = tool;
        if let Some(expect) = &req.expect {
            step.expect = self.expect(expect)?;
        }
        let hook = "is not converted: JavaScript hooks do not run in proofdeck";
        self.unconverted(
            "",
            &[
                ("body", &req.body, "is not converted: proofdeck sends JSON bodies (json:)"),
                ("form", &req.form, "is not converted: proofdeck sends JSON bodies"),
                ("formData", &req.form_data, "is not converted: proofdeck sends JSON bodies"),
                ("qs", &req.qs, "is not converted: add the query string to the url"),
                ("cookie", &req.cookie, "is not converted: set a Cookie header"),
                ("auth", &req.auth, "is not converted: set an Authorization header"),
                ("beforeRequest", &req.before_request, hook),
                ("afterResponse", &req.after_response, hook),
                ("ifTrue", &req.if_true, "is not converted: the step always runs"),
                ("followRedirect", &req.follow_redirect, "is not converted"),
                ("gzip", &req.gzip, "is not converted"),
            ],
        );
        // Captures last: they are visible to later steps, not to this one.
        if let Some(captures) = &req.capture {
            for capture in &captures.0 {
                self.capture(capture, &req.url.referenced, scope, &mut step)?;
            }
        }
        step.inside = self.take_notes();
        Ok(step)
    }

    pub(super) fn path(&mut self, url: &Spanned<String>, scope: &Scope) -> String {
        let line = line_of(&url.referenced);
        let raw = url.value.trim();
        let mut rest = raw;
        if let Some(target) = &self.target {
            if let Some(r) = raw.strip_prefix(target.as_str()) {
                if r.is_empty() || r.starts_with('/') || r.starts_with('?') {
                    rest = r;
                }
            }
        }
        let path = if let Some(after) = rest.strip_prefix("http://").or_else(|| rest.strip_prefix("https://")) {
            let path = after.find('/').map_or("/", |i| &after[i..]);
            self.note(
                line,
                format!("url {raw:?} is not under the target; proofdeck sends every step to the target, so only the path {path:?} is kept"),
            );
            path.to_string()
        } else if rest.is_empty() {
            "/".to_string()
        } else if rest.starts_with('/') {
            rest.to_string()
        } else if rest.starts_with('?') {
            format!("/{rest}")
        } else {
            self.note(line, format!("url {raw:?} does not start with /; a / is put in front"));
            format!("/{rest}")
        };
        self.template(&path, line, scope)
    }

    pub(super) fn body(&mut self, node: &Node, scope: &Scope) -> Option<Out> {
        match &node.value {
            Yaml::Null => {
                self.note(node.line(), "null in a json body is left out: TOML has no null");
                None
            }
            Yaml::Bool(b) => Some(Out::Bool(*b)),
            Yaml::Int(i) => Some(Out::Int(*i)),
            Yaml::Float(f) => Some(Out::Float(*f)),
            Yaml::Str(s) => Some(Out::Str(self.template(s, node.line(), scope))),
            Yaml::Seq(items) => Some(Out::Array(items.iter().filter_map(|n| self.body(n, scope)).collect())),
            Yaml::Map(entries) => Some(Out::Table(
                entries.iter().filter_map(|(k, v)| self.body(v, scope).map(|b| (k.clone(), b))).collect(),
            )),
        }
    }

    pub(super) fn expect(&mut self, node: &Node) -> Result<Option<Vec<u16>>, ScenarioError> {
        let entries: Vec<&Node> = match &node.value {
            Yaml::Seq(items) => items.iter().collect(),
            Yaml::Map(_) => vec![node],
            _ => {
                return Err(self
                    .err(&node.loc, format!("invalid expect {}", summary(node)))
                    .expected("a list of expectations such as - statusCode: 200"))
            }
        };
        let mut codes: Vec<u16> = Vec::new();
        for entry in entries {
            let Yaml::Map(pairs) = &entry.value else {
                return Err(self
                    .err(&entry.loc, format!("invalid expectation {}", summary(entry)))
                    .expected("a mapping such as statusCode: 200"));
            };
            for (key, value) in pairs {
                if key != "statusCode" {
                    let line = self.key_line(value, key);
                    self.note(
                        line,
                        format!(
                            "expect {key}: {} is not converted: proofdeck checks status codes only",
                            summary(value)
                        ),
                    );
                    continue;
                }
                let values: Vec<&Node> = match &value.value {
                    Yaml::Seq(items) => items.iter().collect(),
                    _ => vec![value],
                };
                for v in values {
                    let code = match &v.value {
                        Yaml::Int(i) => u16::try_from(*i).ok(),
                        Yaml::Str(s) => s.trim().parse::<u16>().ok(),
                        _ => None,
                    };
                    match code {
                        Some(c) if (100..=599).contains(&c) => {
                            if !codes.contains(&c) {
                                codes.push(c);
                            }
                        }
                        _ => {
                            return Err(self
                                .err(&v.loc, format!("invalid statusCode {}", summary(v)))
                                .expected("an HTTP status code from 100 to 599"))
                        }
                    }
                }
            }
        }
        Ok(if codes.is_empty() { None } else { Some(codes) })
    }

    pub(super) fn capture(
        &mut self,
        capture: &RawCapture,
        fallback: &Location,
        scope: &mut Scope,
        step: &mut OutStep,
    ) -> Result<(), ScenarioError> {
        let sources: Vec<(&str, &Spanned<String>)> = [
            ("json", &capture.json),
            ("header", &capture.header),
            ("regexp", &capture.regexp),
            ("xpath", &capture.xpath),
            ("selector", &capture.selector),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|s| (k, s)))
        .collect();
        let loc = capture
            .name
            .as_ref()
            .map(|n| n.referenced)
            .or_else(|| sources.first().map(|(_, s)| s.referenced))
            .unwrap_or(*fallback);
        let Some(name) = &capture.name else {
            return Err(self.err(&loc, "capture has no `as`").expected("as: the variable to capture into"));
        };
        let var = name.value.trim().to_string();
        if var.is_empty() || !is_plain_name(&var) {
            return Err(self
                .err(&name.referenced, format!("capture into {:?}", name.value))
                .expected("a variable name of letters, digits, _ or -"));
        }
        match sources.as_slice() {
            [("json", path)] => match json_pointer(&path.value) {
                Some(pointer) => {
                    let secret = crate::redact::is_secret_key(&var);
                    match step.captures.iter_mut().find(|(v, _, _)| *v == var) {
                        Some(existing) => *existing = (var.clone(), pointer, secret),
                        None => step.captures.push((var.clone(), pointer, secret)),
                    }
                    if !scope.captures.contains(&var) {
                        scope.captures.push(var.clone());
                    }
                }
                None => self.note(
                    line_of(&path.referenced),
                    format!(
                        "capture {var:?} uses the JSONPath {:?}, which has no JSON pointer equivalent; not captured",
                        path.value
                    ),
                ),
            },
            [(kind, source)] => self.note(
                line_of(&source.referenced),
                format!(
                    "capture {var:?} by {kind} {:?} is not converted: proofdeck captures from JSON bodies",
                    source.value
                ),
            ),
            [] => {
                return Err(self
                    .err(&loc, format!("capture {var:?} names nothing to capture"))
                    .expected("json: \"$.path\" next to as:"))
            }
            several => {
                let kinds: Vec<&str> = several.iter().map(|(k, _)| *k).collect();
                return Err(self
                    .err(&loc, format!("capture {var:?} has several sources: {}", kinds.join(", ")))
                    .expected("one of json, header, regexp, xpath, selector"));
            }
        }
        let why = "is not converted";
        self.unconverted(
            &format!("capture {var}: "),
            &[
                ("transform", &capture.transform, why),
                ("strict", &capture.strict, why),
                ("group", &capture.group, why),
                ("flags", &capture.flags, why),
                ("attr", &capture.attr, why),
                ("index", &capture.index, why),
            ],
        );
        Ok(())
    }

    /// Rewrites `{{ … }}` expressions for proofdeck; what it cannot evaluate becomes a TODO.
    pub(super) fn template(&mut self, text: &str, line: usize, scope: &Scope) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            let Some(close) = after.find("}}") else {
                self.note(line, format!("unclosed {{{{ in {text:?}; the braces are left out"));
                out.push_str(after);
                return out;
            };
            let expr = after[..close].trim();
            let replaced = self.expression(expr, line, scope);
            out.push_str(&replaced);
            rest = &after[close + 2..];
        }
        out.push_str(rest);
        out
    }

    pub(super) fn expression(&mut self, expr: &str, line: usize, scope: &Scope) -> String {
        if matches!(expr, "$uuid" | "uuid" | "$uuid()" | "$randomUUID()") {
            return "{{ uuid }}".to_string();
        }
        if expr.contains("$prevResponse") {
            self.note(
                line,
                format!("{{{{ {expr} }}}} uses $prevResponse, which proofdeck does not have; replaced by the text {PREV_RESPONSE:?}: capture the value in the earlier step and use {{{{ name }}}}"),
            );
            return PREV_RESPONSE.to_string();
        }
        if !is_plain_name(expr) {
            self.note(
                line,
                format!(
                    "{{{{ {expr} }}}} is an expression proofdeck cannot evaluate; replaced by the text {UNSUPPORTED:?}"
                ),
            );
            return UNSUPPORTED.to_string();
        }
        if scope.captures.iter().any(|c| c == expr) {
            return format!("{{{{ {expr} }}}}");
        }
        if let (Some(role), Some(recipe)) = (scope.role, self.recipe) {
            if let Some(field) = recipe.pool_field(expr) {
                return format!("{{{{ {}.{field} }}}}", recipe.roles[role].name);
            }
        }
        if !self.var_names.iter().any(|v| v == expr) {
            let comment = self.todo(
                line,
                format!("{{{{ {expr} }}}} is not defined in config.variables (in Artillery a processor function or payload file sets it); a placeholder list stands in [vars]: put real values there"),
            );
            self.var_names.push(expr.to_string());
            self.vars.push(OutVar {
                comments: vec![comment],
                name: expr.to_string(),
                values: vec![Out::Str(format!("todo-{expr}"))],
            });
        }
        format!("{{{{ {expr} }}}}")
    }

    // -----------------------------------------------------------------------------------------
    // TOML output.
}
