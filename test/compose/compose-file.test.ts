import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  composeVariableUses,
  durationSeconds,
  interpolate,
  loadCompose,
  parseEnvFile,
  readRepoFile,
  schemaErrors,
  variableUses,
  type Service,
} from './compose-file.js';

const composeText = readRepoFile('docker-compose.yml');
const envExample = parseEnvFile(readRepoFile('.env.example'));
/** .env.example with the one value it must leave to the user. */
const env = { ...envExample, BOOTSTRAP_API_KEY: `ty_${'k'.repeat(43)}` };
const compose = loadCompose(composeText, env);
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};
const command = (s: Service) => (Array.isArray(s.command) ? s.command.join(' ') : (s.command ?? ''));
const publishedPort = (port: string) => Number(port.split(':').at(-2));

describe('interpolate', () => {
  const env = { SET: 'value', EMPTY: '' };

  it('substitutes the forms Compose knows', () => {
    expect(interpolate('${SET} $SET ${UNSET:-fallback} ${EMPTY:-fallback} ${EMPTY-fallback} $$SET', env)).toBe(
      'value value fallback fallback  $SET',
    );
  });

  it('fails on a required variable that is missing', () => {
    expect(() => interpolate('${UNSET:?set it in .env}', env)).toThrow('UNSET: set it in .env');
  });

  it('lists references with their defaults', () => {
    expect(variableUses('${A:-1} $B $${C} ${D}')).toEqual([{ name: 'A', fallback: '1' }, { name: 'B' }, { name: 'D' }]);
  });
});

describe('the compose schema check', () => {
  it('accepts our file', () => {
    expect(schemaErrors(compose)).toEqual([]);
  });

  it('rejects a typo', () => {
    const typo = loadCompose(composeText.replace('interval: 2s', 'intervall: 2s'), env);
    expect(schemaErrors(typo).join('\n')).toMatch(/healthcheck: must NOT have additional properties/);
  });

  it('rejects what docker-compose 1.29 does not accept', () => {
    expect(schemaErrors({ ...compose, name: 'trainyard' })).not.toEqual([]);
    const startInterval = loadCompose(composeText.replace('interval: 2s,', 'interval: 2s, start_interval: 1s,'), env);
    expect(schemaErrors(startInterval)).not.toEqual([]);
  });

  it('rejects a duration without a unit', () => {
    const grace = loadCompose(composeText, { ...env, WORKER_STOP_GRACE_PERIOD: '45' });
    expect(schemaErrors(grace).join('\n')).toMatch(/stop_grace_period: must match format "duration"/);
  });
});

describe('.env.example', () => {
  const uses = composeVariableUses(composeText);

  it('lists every variable the compose file reads, with the same default', () => {
    for (const use of uses) {
      expect(envExample, use.name).toHaveProperty(use.name);
      if (use.fallback !== undefined) expect(envExample[use.name], use.name).toBe(use.fallback);
    }
  });

  it('lists nothing the compose file ignores', () => {
    const read = new Set(uses.map((use) => use.name));
    expect(Object.keys(envExample).filter((name) => !read.has(name))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  it('publishes only the balancer, Mailpit, MinIO and (with its profile) Prometheus', () => {
    const published = Object.entries(compose.services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name}:${publishedPort(p)}`));
    expect(published.sort()).toEqual(['lb:8080', 'mailpit:8025', 'minio:9000', 'minio:9001', 'prometheus:9090']);
    expect(service('prometheus').profiles).toEqual(['observability']);
  });

  it('keeps tasks in a persistent Redis that never evicts', () => {
    const redis = service('redis');
    expect(command(redis)).toMatch(/--appendonly yes/);
    expect(command(redis)).toMatch(/--appendfsync everysec/);
    expect(command(redis)).toMatch(/--maxmemory-policy noeviction/);
    expect(redis.volumes?.some((volume) => volume.endsWith(':/data'))).toBe(true);
    expect(redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it('keeps the prediction cache bounded, LRU and off disk', () => {
    const cache = service('cache');
    expect(command(cache)).toMatch(/--maxmemory \d+[kmg]b/);
    expect(command(cache)).toMatch(/--maxmemory-policy allkeys-lru/);
    expect(command(cache)).toMatch(/--save "" --appendonly no/);
    expect(cache.volumes).toBeUndefined();
  });

  it('refuses to start without BOOTSTRAP_API_KEY, and has no default password anywhere', () => {
    expect(() => loadCompose(composeText, envExample)).toThrow(/^BOOTSTRAP_API_KEY: set BOOTSTRAP_API_KEY in \.env/);
    expect(envExample.BOOTSTRAP_API_KEY).toBe('');
    expect(service('api').environment).toMatchObject({ BOARD_USER: '', BOARD_PASSWORD: '', BOARD_READ_ONLY: 'true' });
  });

  it('runs at least two API replicas behind the balancer', () => {
    expect(service('api').deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(service('lb').depends_on).toEqual({ api: { condition: 'service_healthy' } });
  });

  it('lets every worker service scale and drain', () => {
    const workers = Object.entries(compose.services).filter(([, s]) => s.build?.dockerfile === 'apps/worker/Dockerfile');
    expect(workers.map(([name]) => name).sort()).toEqual(['worker', 'worker-predict', 'worker-train']);
    for (const [name, worker] of workers) {
      expect(worker.ports, name).toBeUndefined();
      expect(worker.container_name, name).toBeUndefined();
      expect(worker.init, name).toBe(true);
      const shutdown = Number(worker.environment?.SHUTDOWN_TIMEOUT_S);
      expect(durationSeconds(worker.stop_grace_period ?? '10s'), name).toBeGreaterThan(shutdown);
    }
    expect(service('worker-train').environment?.WORKER_QUEUES).toBe('train');
    expect(service('worker-predict').environment?.WORKER_QUEUES).toBe('predict,notify');
  });

  it('builds each app image from the repository root with its own Dockerfile', () => {
    for (const app of ['api', 'worker']) {
      expect(service(app).build).toEqual({ context: '.', dockerfile: `apps/${app}/Dockerfile` });
      expect(service(app).init).toBe(true);
    }
  });

  it('waits for dependencies to be healthy (or done), never just started', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (!s.depends_on) continue;
      expect(Array.isArray(s.depends_on), name).toBe(false);
      for (const [dependency, { condition }] of Object.entries(s.depends_on)) {
        const expected = service(dependency).healthcheck || dependency === 'api' ? 'service_healthy' : 'service_completed_successfully';
        expect(condition, `${name} → ${dependency}`).toBe(expected);
      }
    }
  });
});

describe('the nginx template', () => {
  const template = readRepoFile('deploy/nginx/templates/default.conf.template');

  it('balances by least connections with passive health checks', () => {
    expect(template).toMatch(/upstream api \{[^}]*least_conn;/);
    expect(template).toMatch(/server api:3000 max_fails=\$\{LB_MAX_FAILS\} fail_timeout=\$\{LB_FAIL_TIMEOUT\};/);
  });

  it('limits request size and streams server-sent events', () => {
    expect(template).toMatch(/client_max_body_size \$\{LB_MAX_BODY_SIZE\};/);
    expect(template).toMatch(/location ~ [^{]*events[^{]*\{[^}]*proxy_buffering off;/);
  });

  it('gets every variable it uses from the lb service', () => {
    const given = Object.keys(service('lb').environment ?? {});
    const used = [...template.matchAll(/\$\{([A-Z_]+)\}/g)].map(([, name]) => name);
    expect(new Set(used)).toEqual(new Set(given));
  });
});

describe('the observability profile', () => {
  const prometheus = parse(readRepoFile('deploy/prometheus/prometheus.yml')) as {
    scrape_configs: { job_name: string; dns_sd_configs: { names: string[]; type: string; port: number }[] }[];
  };
  const targets = prometheus.scrape_configs.flatMap((job) => job.dns_sd_configs.flatMap((sd) => sd.names.map((name) => ({ name, port: sd.port }))));

  it('scrapes every API and worker service, on the metrics port they listen on beyond loopback', () => {
    const apps = Object.entries(compose.services).filter(([, s]) => /apps\/(api|worker)\/Dockerfile/.test(s.build?.dockerfile ?? ''));
    expect(targets.map((target) => target.name).sort()).toEqual(apps.map(([name]) => name).sort());
    for (const [name, s] of apps) {
      expect(s.environment?.METRICS_HOST, name).toBe('0.0.0.0');
      expect(targets.find((target) => target.name === name)?.port, name).toBe(Number(s.environment?.METRICS_PORT));
    }
  });

  it('mounts that configuration where the Prometheus image reads it', () => {
    expect(service('prometheus').volumes).toEqual(['./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro']);
  });
});
