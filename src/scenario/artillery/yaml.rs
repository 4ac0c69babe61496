use super::*;

// ---------------------------------------------------------------------------------------------
// The Artillery schema, as far as the importer reads it.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDoc {
    pub(super) config: Spanned<RawConfig>,
    pub(super) scenarios: Option<Spanned<Vec<Spanned<RawScenario>>>>,
    pub(super) before: Option<Node>,
    pub(super) after: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawConfig {
    pub(super) target: Option<Spanned<String>>,
    pub(super) phases: Option<Spanned<Vec<Spanned<RawPhase>>>>,
    pub(super) defaults: Option<RawDefaults>,
    pub(super) variables: Option<Node>,
    pub(super) http: Option<Node>,
    pub(super) plugins: Option<Node>,
    pub(super) processor: Option<Node>,
    pub(super) environments: Option<Node>,
    pub(super) payload: Option<Node>,
    pub(super) tls: Option<Node>,
    pub(super) ensure: Option<Node>,
    pub(super) engines: Option<Node>,
    pub(super) include_files: Option<Node>,
    pub(super) socketio: Option<Node>,
    pub(super) ws: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub(super) headers: Option<Node>,
    pub(super) think: Option<Node>,
    pub(super) cookie: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawPhase {
    pub(super) name: Option<String>,
    pub(super) duration: Option<Spanned<Secs>>,
    pub(super) arrival_rate: Option<Spanned<f64>>,
    pub(super) ramp_to: Option<Spanned<f64>>,
    pub(super) arrival_count: Option<Spanned<f64>>,
    pub(super) pause: Option<Spanned<Secs>>,
    pub(super) max_vusers: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawScenario {
    pub(super) name: Option<String>,
    pub(super) weight: Option<Spanned<f64>>,
    pub(super) engine: Option<Spanned<String>>,
    pub(super) flow: Option<Spanned<Vec<Spanned<RawFlowStep>>>>,
    pub(super) before_scenario: Option<Node>,
    pub(super) after_scenario: Option<Node>,
    pub(super) before_request: Option<Node>,
    pub(super) after_response: Option<Node>,
}

/// One item of a flow: exactly one action key, plus `count`/`over`/`whileTrue` for `loop`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawFlowStep {
    pub(super) get: Option<RawRequest>,
    pub(super) post: Option<RawRequest>,
    pub(super) put: Option<RawRequest>,
    pub(super) patch: Option<RawRequest>,
    pub(super) delete: Option<RawRequest>,
    pub(super) head: Option<RawRequest>,
    pub(super) options: Option<RawRequest>,
    pub(super) function: Option<Spanned<String>>,
    pub(super) think: Option<Node>,
    #[serde(rename = "loop")]
    pub(super) loop_steps: Option<Node>,
    pub(super) count: Option<Node>,
    pub(super) over: Option<Node>,
    pub(super) while_true: Option<Node>,
    pub(super) log: Option<Node>,
    pub(super) parallel: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawRequest {
    pub(super) url: Spanned<String>,
    pub(super) name: Option<String>,
    pub(super) json: Option<Node>,
    pub(super) headers: Option<Node>,
    pub(super) capture: Option<OneOrMany<RawCapture>>,
    pub(super) expect: Option<Node>,
    pub(super) body: Option<Node>,
    pub(super) form: Option<Node>,
    pub(super) form_data: Option<Node>,
    pub(super) qs: Option<Node>,
    pub(super) cookie: Option<Node>,
    pub(super) auth: Option<Node>,
    pub(super) before_request: Option<Node>,
    pub(super) after_response: Option<Node>,
    pub(super) if_true: Option<Node>,
    pub(super) follow_redirect: Option<Node>,
    pub(super) gzip: Option<Node>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCapture {
    pub(super) json: Option<Spanned<String>>,
    #[serde(rename = "as")]
    pub(super) name: Option<Spanned<String>>,
    pub(super) header: Option<Spanned<String>>,
    pub(super) regexp: Option<Spanned<String>>,
    pub(super) xpath: Option<Spanned<String>>,
    pub(super) selector: Option<Spanned<String>>,
    pub(super) group: Option<Node>,
    pub(super) flags: Option<Node>,
    pub(super) attr: Option<Node>,
    pub(super) index: Option<Node>,
    pub(super) strict: Option<Node>,
    pub(super) transform: Option<Node>,
}

/// A phase duration: seconds, or text such as `"10m"`; checked after parsing, with its span.
#[derive(Debug)]
pub(super) enum Secs {
    Number(f64),
    Text(String),
}

impl<'de> Deserialize<'de> for Secs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecsVisitor;
        impl Visitor<'_> for SecsVisitor {
            type Value = Secs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of seconds or a duration such as \"10m\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Secs::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Secs::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Secs::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Secs::Text(v.to_string()))
            }
        }
        deserializer.deserialize_any(SecsVisitor)
    }
}

/// A mapping, or a list of them (Artillery's `capture` takes either).
pub(super) struct OneOrMany<T>(pub(super) Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping or a list of mappings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<T>()? {
                    items.push(item);
                }
                Ok(OneOrMany(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|item| OneOrMany(vec![item]))
            }
        }
        deserializer.deserialize_any(ListVisitor(PhantomData))
    }
}

/// Any YAML value, with the location of every node (via `serde_saphyr::Spanned`).
#[derive(Debug)]
pub(super) struct Node {
    pub(super) value: Yaml,
    pub(super) loc: Location,
}

#[derive(Debug)]
pub(super) enum Yaml {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Yaml>::deserialize(deserializer)?;
        let loc = if spanned.referenced.line() == 0 { spanned.defined } else { spanned.referenced };
        Ok(Node { value: spanned.value, loc })
    }
}

impl<'de> Deserialize<'de> for Yaml {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
}

pub(super) struct YamlVisitor;

impl<'de> Visitor<'de> for YamlVisitor {
    type Value = Yaml;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Yaml::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Yaml::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Yaml::Float(v as f64), Yaml::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Yaml::Float(v as f64), Yaml::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_or(Yaml::Float(v as f64), Yaml::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Yaml::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Yaml::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Yaml::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Yaml::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Yaml::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Yaml::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Yaml::Map(entries))
    }
}

impl Node {
    pub(super) fn line(&self) -> usize {
        line_of(&self.loc)
    }

    pub(super) fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Yaml::Str(s) => Some(s.clone()),
            Yaml::Int(i) => Some(i.to_string()),
            Yaml::Float(f) => Some(f.to_string()),
            Yaml::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

pub(super) fn line_of(loc: &Location) -> usize {
    usize::try_from(loc.line()).unwrap_or(usize::MAX).max(1)
}

/// A short rendering of a node for messages.
pub(super) fn summary(node: &Node) -> String {
    match &node.value {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Int(i) => i.to_string(),
        Yaml::Float(f) => f.to_string(),
        Yaml::Str(s) if s.chars().count() > 60 => {
            format!("{:?}", format!("{}…", s.chars().take(57).collect::<String>()))
        }
        Yaml::Str(s) => format!("{s:?}"),
        Yaml::Seq(items) => format!("[{} item(s)]", items.len()),
        Yaml::Map(entries) => {
            let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            format!("{{ {} }}", keys.join(", "))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the importer writes.
