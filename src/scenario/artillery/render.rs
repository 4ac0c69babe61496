use super::*;

impl Converter<'_> {
    pub(super) fn render(
        &self,
        head: &[String],
        default_headers: &[(String, String)],
        timeout: Option<&str>,
        phases: &[OutPhase],
        flows: &[OutFlow],
        todo_count: usize,
    ) -> String {
        let mut out = String::new();
        let file_name =
            self.file.file_name().map_or_else(|| self.file.display().to_string(), |n| n.to_string_lossy().into_owned());
        let stem = self.file.file_stem().map_or("artillery".into(), |s| s.to_string_lossy().into_owned());
        emit(&mut out, format!("# Imported from the Artillery script {file_name} by `proofdeck import artillery`."));
        if todo_count > 0 {
            emit(
                &mut out,
                format!("# {todo_count} part(s) did not convert: see the \"# TODO (line N)\" comments, N being the YAML line."),
            );
        }
        emit(&mut out, format!("name = {}", toml_string(&stem)));
        emit(
            &mut out,
            format!("description = {}", toml_string(&format!("Imported from the Artillery script {file_name}"))),
        );
        if let Some(target) = &self.target {
            emit(&mut out, format!("target = {}", toml_string(target)));
        }
        for c in head {
            emit(&mut out, c);
        }

        if !default_headers.is_empty() || timeout.is_some() {
            emit(&mut out, "");
            emit(&mut out, "[defaults]");
            if !default_headers.is_empty() {
                let pairs: Vec<String> =
                    default_headers.iter().map(|(k, v)| format!("{} = {}", toml_key(k), toml_string(v))).collect();
                emit(&mut out, format!("headers = {{ {} }}", pairs.join(", ")));
            }
            if let Some(t) = timeout {
                emit(&mut out, format!("timeout = {}", toml_string(t)));
            }
        }

        if !self.vars.is_empty() {
            emit(&mut out, "");
            emit(&mut out, "[vars]");
            for var in &self.vars {
                for c in &var.comments {
                    emit(&mut out, c);
                }
                emit(&mut out, format!("{} = {}", toml_key(&var.name), inline(&Out::Array(var.values.clone()))));
            }
        }

        for phase in phases {
            emit(&mut out, "");
            emit(&mut out, "[[phase]]");
            for c in &phase.comments {
                emit(&mut out, c);
            }
            emit(&mut out, format!("name = {}", toml_string(&phase.name)));
            emit(&mut out, format!("duration = {}", toml_string(&duration::format(phase.duration))));
            emit(&mut out, format!("rate = {}", number(phase.rate)));
            if let Some(r) = phase.ramp_to {
                emit(&mut out, format!("ramp_to = {}", number(r)));
            }
        }

        if let Some(recipe) = self.recipe {
            let used: Vec<usize> = (0..recipe.roles.len()).filter(|&r| self.roles_used[r]).collect();
            out.push_str(&recipe.render_setup(&used));
        }

        for flow in flows {
            emit(&mut out, "");
            match &flow.left_out {
                Some(reason) => {
                    emit(&mut out, reason);
                    let mut inner = String::new();
                    render_flow(&mut inner, flow);
                    for l in inner.lines() {
                        if l.starts_with('#') {
                            emit(&mut out, l);
                        } else {
                            emit(&mut out, format!("# {l}"));
                        }
                    }
                }
                None => render_flow(&mut out, flow),
            }
        }
        out
    }
}

pub(super) fn render_flow(out: &mut String, flow: &OutFlow) {
    emit(out, format!("# Artillery scenario at line {}", flow.line));
    emit(out, "[[flow]]");
    emit(out, format!("name = {}", toml_string(&flow.name)));
    emit(out, format!("weight = {}", number(flow.weight)));
    if let Some(kind) = flow.kind {
        emit(out, format!("kind = \"{kind}\""));
    }
    for c in &flow.comments {
        emit(out, c);
    }
    for step in &flow.steps {
        render_step(out, "flow.step", step);
    }
    for c in &flow.trailing {
        emit(out, c);
    }
}

pub(super) fn render_step(out: &mut String, header: &str, step: &OutStep) {
    for c in &step.before {
        emit(out, c);
    }
    emit(out, format!("[[{header}]]"));
    for c in &step.inside {
        emit(out, c);
    }
    if let Some(name) = &step.name {
        emit(out, format!("name = {}", toml_string(name)));
    }
    if let Some(tool) = &step.tool {
        emit(out, format!("tool = {}", toml_string(tool)));
    }
    emit(out, format!("method = {}", toml_string(step.method)));
    emit(out, format!("path = {}", toml_string(&step.path)));
    if !step.headers.is_empty() {
        let pairs: Vec<String> =
            step.headers.iter().map(|(k, v)| format!("{} = {}", toml_key(k), toml_string(v))).collect();
        emit(out, format!("headers = {{ {} }}", pairs.join(", ")));
    }
    if let Some(body) = &step.body {
        emit(out, format!("body = {}", inline(body)));
    }
    if let Some(codes) = &step.expect {
        let codes: Vec<String> = codes.iter().map(u16::to_string).collect();
        emit(out, format!("expect = [{}]", codes.join(", ")));
    }
    if !step.captures.is_empty() {
        let pairs: Vec<String> = step
            .captures
            .iter()
            .map(|(var, pointer, secret)| {
                if *secret {
                    format!("{} = {{ pointer = {}, secret = true }}", toml_key(var), toml_string(pointer))
                } else {
                    format!("{} = {}", toml_key(var), toml_string(pointer))
                }
            })
            .collect();
        emit(out, format!("capture = {{ {} }}", pairs.join(", ")));
    }
}

pub(super) fn scalar_out(node: &Node) -> Option<Out> {
    match &node.value {
        Yaml::Str(s) => Some(Out::Str(s.clone())),
        Yaml::Int(i) => Some(Out::Int(*i)),
        Yaml::Float(f) => Some(Out::Float(*f)),
        Yaml::Bool(b) => Some(Out::Bool(*b)),
        _ => None,
    }
}

/// A body field's literal string value (no template), e.g. the `tool` label.
pub(super) fn literal_field(body: Option<&Out>, key: &str) -> Option<String> {
    let Some(Out::Table(entries)) = body else {
        return None;
    };
    entries.iter().find(|(k, _)| k == key).and_then(|(_, v)| match v {
        Out::Str(s) if !s.is_empty() && !s.contains("{{") => Some(s.clone()),
        _ => None,
    })
}
