// Validates rendered objects against the Kubernetes OpenAPI schemas bundled in kubernetes-models (no
// cluster, no network). The schemas accept fields they do not know, as the API server's non-strict mode
// would; kubectl apply is strict, so fields no schema reads are reported too.
const models = new Map();

function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

async function model(apiVersion, kind) {
  const path = modelPath(apiVersion, kind);
  if (!models.has(path)) {
    models.set(path, await import(path).then((m) => m[kind], () => undefined));
  }
  return models.get(path);
}

/**
 * Wraps a plain object so that every property a validator reads is recorded; properties nobody read are
 * unknown to the schema. Maps (labels, data) are enumerated by their validators, which marks every key.
 */
function tracked(value, path, unread) {
  if (value === null || typeof value !== "object") return value;
  const read = new Set();
  const keys = Array.isArray(value) ? [] : Object.keys(value);
  unread.push(() => keys.filter((k) => !read.has(k)).map((k) => `${path}/${k}`));
  const children = new Map();
  return new Proxy(value, {
    get(target, prop, receiver) {
      if (typeof prop === "string") read.add(prop);
      const v = Reflect.get(target, prop, receiver);
      if (typeof prop !== "string" || v === null || typeof v !== "object") return v;
      if (!children.has(prop)) children.set(prop, tracked(v, `${path}/${prop}`, unread));
      return children.get(prop);
    },
    ownKeys(target) {
      for (const k of Reflect.ownKeys(target)) if (typeof k === "string") read.add(k);
      return Reflect.ownKeys(target);
    },
    has(target, prop) {
      if (typeof prop === "string") read.add(prop);
      return Reflect.has(target, prop);
    },
  });
}

/** The schema errors of one object (empty when it is valid). */
export async function schemaErrors(object) {
  const { apiVersion, kind } = object;
  const Model = await model(apiVersion, kind);
  if (!Model) return [`${apiVersion} ${kind}: no schema (unknown kind or API version)`];
  const errors = [];
  try {
    new Model(structuredClone(object)).validate();
  } catch (e) {
    errors.push(e.message);
  }
  const { validate } = await import(`kubernetes-models/_schemas/${schemaName(apiVersion, kind)}`);
  const unread = [];
  validate(tracked(structuredClone(object), "", unread));
  for (const field of unread.flatMap((f) => f())) errors.push(`${field}: unknown field`);
  return errors;
}

function schemaName(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const name = group.split(".")[0];
  return `IoK8sApi${name[0].toUpperCase()}${name.slice(1)}${version[0].toUpperCase()}${version.slice(1)}${kind}`;
}
