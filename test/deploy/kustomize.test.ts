import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOperation, kustomize, type Resource } from './kustomize.js';

const root = mkdtempSync(join(tmpdir(), 'kustomize-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let trees = 0;
/** Writes the files into a fresh folder and renders `dir` in it. */
function build(files: Record<string, string>, dir = '.'): Resource[] {
  const base = join(root, String(trees++));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), text);
  }
  return kustomize(join(base, dir));
}

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: app, labels: { app: web } }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: app
          image: example/app:1
          envFrom: [{ configMapRef: { name: settings } }]
          env: [{ name: ONE, valueFrom: { configMapKeyRef: { name: settings, key: ONE } } }]
`;
const get = (resources: Resource[], kind: string) => resources.find((r) => r.kind === kind) as any;

describe('the kustomize renderer', () => {
  it('names generated ConfigMaps with kustomize 5.5’s hash and points the pods at them', () => {
    // The names expected here are what kubectl kustomize (kustomize v5.5.0) renders from the same files.
    const resources = build({
      'kustomization.yaml': 'resources: [app.yaml]\nconfigMapGenerator:\n  - name: settings\n    literals: [A=b]\n',
      'app.yaml': deployment,
    });
    const name = get(resources, 'ConfigMap').metadata.name;
    expect(name).toBe('settings-b9t2424hkf');
    const container = get(resources, 'Deployment').spec.template.spec.containers[0];
    expect(container.envFrom[0].configMapRef.name).toBe(name);
    expect(container.env[0].valueFrom.configMapKeyRef.name).toBe(name);
  });

  it('hashes the data as Go would encode it, HTML characters escaped', () => {
    // From kubectl kustomize: MAIL_FROM=Trainyard <trainyard@example.com> and a PUBLIC_URL.
    const resources = build({
      'kustomization.yaml': 'configMapGenerator:\n  - name: trainyard-worker\n    envs: [worker.env]\n',
      'worker.env': '# a comment\n\nPUBLIC_URL=https://trainyard.example.com\nMAIL_FROM=Trainyard <trainyard@example.com>\n',
    });
    expect(get(resources, 'ConfigMap').metadata.name).toBe('trainyard-worker-gfd96ccf2d');
  });

  it('merges an overlay’s generator into the base’s, whose options hold', () => {
    const resources = build(
      {
        'base/kustomization.yaml': 'configMapGenerator:\n  - name: fixed\n    literals: [A=1, B=2]\n    options: { disableNameSuffixHash: true }\n',
        'overlay/kustomization.yaml': 'resources: [../base]\nconfigMapGenerator:\n  - name: fixed\n    behavior: merge\n    literals: [B=3]\n',
      },
      'overlay',
    );
    expect(get(resources, 'ConfigMap')).toMatchObject({ metadata: { name: 'fixed' }, data: { A: '1', B: '3' } });
  });

  it('generates Secrets base64-encoded', () => {
    const resources = build({ 'kustomization.yaml': 'secretGenerator:\n  - name: s\n    literals: [TOKEN=abc]\n    options: { disableNameSuffixHash: true }\n' });
    expect(get(resources, 'Secret')).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type: 'Opaque', data: { TOKEN: 'YWJj' } });
  });

  it('sets the namespace, labels (templates and claims, never selectors) and images', () => {
    const statefulSet = deployment.replace('kind: Deployment', 'kind: StatefulSet').replace(/\n {6}containers:[\s\S]*$/, '\n      containers: [{ name: app, image: example/app }]\n  volumeClaimTemplates: [{ metadata: { name: data } }]\n');
    const resources = build({
      'kustomization.yaml': `namespace: prod
resources: [namespace.yaml, app.yaml]
labels: [{ pairs: { part-of: shop }, includeTemplates: true }]
images: [{ name: example/app, newName: registry.example.com/app, newTag: "2" }]
`,
      'namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: prod }\n',
      'app.yaml': statefulSet,
    });
    const set = get(resources, 'StatefulSet');
    expect(get(resources, 'Namespace').metadata).toEqual({ name: 'prod', labels: { 'part-of': 'shop' } });
    expect(set.metadata).toEqual({ name: 'app', namespace: 'prod', labels: { app: 'web', 'part-of': 'shop' } });
    expect(set.spec.selector.matchLabels).toEqual({ app: 'web' });
    expect(set.spec.template.metadata.labels).toEqual({ app: 'web', 'part-of': 'shop' });
    expect(set.spec.volumeClaimTemplates[0].metadata.labels).toEqual({ 'part-of': 'shop' });
    expect(set.spec.template.spec.containers[0].image).toBe('registry.example.com/app:2');
  });

  it('applies JSON 6902 patches to every target whose name matches as a whole', () => {
    const resources = build({
      'kustomization.yaml': `resources: [a.yaml]
patches:
  - target: { kind: ConfigMap, name: (one|two) }
    patch: |-
      - { op: test, path: /data/x, value: "1" }
      - { op: replace, path: /data/x, value: "2" }
      - { op: add, path: /data/y~1z, value: "3" }
      - { op: remove, path: /data/gone }
`,
      'a.yaml': ['one', 'two', 'one-more'].map((name) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { x: "1", gone: "!" }\n`).join('---\n'),
    });
    expect(resources.map((r) => r.data)).toEqual([{ x: '2', 'y/z': '3' }, { x: '2', 'y/z': '3' }, { x: '1', gone: '!' }]);
  });

  it('adds to a list by index or at its end', () => {
    const document = { list: ['a', 'c'] };
    applyOperation(document, { op: 'add', path: '/list/1', value: 'b' });
    applyOperation(document, { op: 'add', path: '/list/-', value: 'd' });
    expect(document.list).toEqual(['a', 'b', 'c', 'd']);
  });

  it('copies a value, so that changing the copy leaves the original as it was', () => {
    const document = { list: [{ name: 'a', metadata: { key: 'x' } }] };
    applyOperation(document, { op: 'copy', from: '/list/0', path: '/list/1' });
    applyOperation(document, { op: 'replace', path: '/list/1/metadata/key', value: 'y' });
    expect(document.list).toEqual([{ name: 'a', metadata: { key: 'x' } }, { name: 'a', metadata: { key: 'y' } }]);
    expect(() => applyOperation(document, { op: 'copy', from: '/list/2', path: '/list/-' })).toThrow(/\/list\/2: no "2"/);
  });

  describe('fails loudly on', () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['a field it does not render', { 'kustomization.yaml': 'replicas: [{ name: app, count: 2 }]\n' }, /"replicas" not supported by this renderer/],
      ['a strategic-merge patch', { 'kustomization.yaml': 'resources: [app.yaml]\npatches: [{ path: p.yaml }]\n', 'app.yaml': deployment, 'p.yaml': 'kind: Deployment\n' }, /give a target; strategic-merge patches are not supported/],
      ['a patch whose target matches nothing', { 'kustomization.yaml': 'resources: [app.yaml]\npatches: [{ target: { kind: Deployment, name: ap }, patch: "[]" }]\n', 'app.yaml': deployment }, /the target matches no resource/],
      ['a failed test operation', { 'kustomization.yaml': 'resources: [app.yaml]\npatches: [{ target: { kind: Deployment }, patch: "[{op: test, path: /metadata/name, value: web}]" }]\n', 'app.yaml': deployment }, /test failed at \/metadata\/name/],
      ['a replace of nothing', { 'kustomization.yaml': 'resources: [app.yaml]\npatches: [{ target: { kind: Deployment }, patch: "[{op: replace, path: /spec/replicas, value: 2}]" }]\n', 'app.yaml': deployment }, /replace \/spec\/replicas: nothing there/],
      ['labels on selectors', { 'kustomization.yaml': 'labels: [{ pairs: { a: b }, includeSelectors: true }]\n' }, /includeSelectors are not supported/],
      ['an env line without a value', { 'kustomization.yaml': 'configMapGenerator: [{ name: c, envs: [c.env] }]\n', 'c.env': 'FROM_MY_SHELL\n' }, /c\.env:1: "FROM_MY_SHELL" is not KEY=VALUE/],
      ['a Namespace kustomize would rename', { 'kustomization.yaml': 'namespace: b\nresources: [ns.yaml]\n', 'ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n' }, /Namespace a differs from namespace: b/],
      ['a merge into nothing', { 'kustomization.yaml': 'configMapGenerator: [{ name: c, behavior: merge, literals: [A=1] }]\n' }, /nothing to merge/],
      ['a Component where a Kustomization belongs', { 'kustomization.yaml': 'resources: [c]\n', 'c/kustomization.yaml': 'kind: Component\n' }, /a Kustomization was expected, not a Component/],
    ];
    it.each(cases)('%s', (_, files, expected) => {
      expect(() => build(files)).toThrow(expected);
    });
  });
});
