import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CONFIGURATIONS, synthesize, type SynthResult } from './support/configurations';

/**
 * Issue #7, item 3: every synthesized configuration passes cfn-lint (no error, no warning), checkov
 * (no failed check; every skip carries its reason, written in the construct that owns the
 * resource) and the cdk-nag AwsSolutions and Serverless packs (nothing unacknowledged).
 * The Python scanners are slow to start, so each runs once over every template.
 */
const ROOT = path.join(__dirname, '..', '..');
const CFN_LINT = path.join(ROOT, '.venv', 'bin', 'cfn-lint');
const CHECKOV = path.join(ROOT, '.venv', 'bin', 'checkov');

/** A scanner that is not installed fails the suite: it must never pass by not running. */
function requireTool(binary: string): void {
  if (!fs.existsSync(binary)) {
    throw new Error(`${path.basename(binary)} is not installed at ${binary}. Run "bash scripts/ensure-python-tools.sh" (npm test does it before jest).`);
  }
}

let workDir: string;
let scanDir: string;
let results: SynthResult[];

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hw-scan-'));
  scanDir = path.join(workDir, 'templates');
  fs.mkdirSync(scanDir);
  results = CONFIGURATIONS.map((configuration) => synthesize(configuration, workDir, scanDir));
}, 120_000);

afterAll(() => {
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('cdk-nag: AwsSolutions and Serverless packs', () => {
  test.each(CONFIGURATIONS.map((c) => [c.name, c.description]))('%s (%s): no unacknowledged finding', (name) => {
    const result = results.find((r) => r.configuration.name === name) as SynthResult;
    expect(result.templates.length).toBeGreaterThan(0);
    expect(result.findings.map((f) => `${f.plugin} ${f.rule} at ${f.path}: ${f.description}`)).toEqual([]);
  });
});

describe('what the scanners see', () => {
  interface ScannedResource { Type: string; Properties?: ScannedProperties }
  interface ScannedProperties {
    LifecycleConfiguration?: { Rules: Array<{ Id: string }> };
    BucketEncryption?: { ServerSideEncryptionConfiguration: Array<{ ServerSideEncryptionByDefault: { SSEAlgorithm: string } }> };
    Rules?: Array<{ Name: string }>;
  }

  /** Every resource of one type in the scanned templates, with the configuration it came from. */
  function resources(type: string): Array<{ configuration: string; properties: ScannedProperties }> {
    return results.flatMap((result) => result.templates.flatMap((file) => {
      const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources: Record<string, ScannedResource> };
      return Object.values(template.Resources).filter((resource) => resource.Type === type)
        .map((resource) => ({ configuration: result.configuration.name, properties: resource.Properties ?? {} }));
    }));
  }

  test('the event bucket is scanned with an archive (example app), with a customer-managed key, and the WAF\'s body size rule is scanned', () => {
    const buckets = resources('AWS::S3::Bucket');
    const archived = buckets.filter((bucket) => (bucket.properties.LifecycleConfiguration?.Rules ?? []).some((rule) => rule.Id === 'ArchiveRecords'));
    expect(archived.map((bucket) => bucket.configuration)).toContain('example-app');
    const keyed = buckets.filter((bucket) => bucket.properties.BucketEncryption?.ServerSideEncryptionConfiguration[0]?.ServerSideEncryptionByDefault.SSEAlgorithm === 'aws:kms');
    expect(keyed.map((bucket) => bucket.configuration)).toContain('customer-managed-key');
    const sizeRules = resources('AWS::WAFv2::WebACL').flatMap((acl) => (acl.properties.Rules ?? []).filter((rule) => rule.Name === 'BodyTooLarge'));
    expect(sizeRules).toHaveLength(1);
  });
});

interface CfnLintMatch { Level: string; Rule: { Id: string }; Message: string; Filename: string; Location: { Path?: (string | number)[] } }

describe('cfn-lint', () => {
  test('no error and no warning in any template; every inline ignore states its reason', () => {
    requireTool(CFN_LINT);
    const templates = fs.readdirSync(scanDir).map((file) => path.join(scanDir, file));
    expect(templates.length).toBeGreaterThanOrEqual(CONFIGURATIONS.length);
    const run = spawnSync(CFN_LINT, ['--format', 'json', '--', ...templates], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.error) throw new Error(`cfn-lint did not run: ${run.error.message}`);
    let matches: CfnLintMatch[];
    try {
      matches = JSON.parse(run.stdout || '[]') as CfnLintMatch[];
    } catch {
      throw new Error(`cfn-lint output is not JSON (exit ${run.status}): ${run.stdout.slice(0, 500)} ${run.stderr.slice(0, 2000)}`);
    }
    const problems = matches.filter((m) => m.Level === 'Error' || m.Level === 'Warning')
      .map((m) => `${path.basename(m.Filename)} ${m.Rule.Id} ${(m.Location.Path ?? []).join('/')}: ${m.Message}`);
    expect(problems).toEqual([]);
    // A fatal cfn-lint failure (bad arguments, crash) exits with 1 or 32+ and no matches.
    expect([0, 8]).toContain(run.status);

    // Inline ignores (Metadata.cfn-lint.config.ignore_checks) each name their reason next to them.
    const unexplained: string[] = [];
    for (const file of templates) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources: Record<string, { Metadata?: Record<string, any> }> };
      for (const [logicalId, resource] of Object.entries(template.Resources)) {
        const config = resource.Metadata?.['cfn-lint']?.config;
        for (const id of (config?.ignore_checks ?? []) as string[]) {
          const reason = config?.ignore_reasons?.[id];
          if (typeof reason !== 'string' || reason.length < 20) unexplained.push(`${path.basename(file)} ${logicalId} ${id}`);
        }
      }
    }
    expect(unexplained).toEqual([]);
  }, 120_000);
});

interface CheckovResult { check_id: string; resource: string; file_path: string; check_name: string; check_result?: { suppress_comment?: string } }
interface CheckovReport { check_type: string; results: { failed_checks: CheckovResult[]; skipped_checks: CheckovResult[]; passed_checks: CheckovResult[] }; summary: { failed: number; passed: number; skipped: number; parsing_errors: number } }

describe('checkov', () => {
  test('no failed check in any template; every skip is declared on its resource with a reason', () => {
    requireTool(CHECKOV);
    const run = spawnSync(CHECKOV, ['-d', scanDir, '--framework', 'cloudformation', '--output', 'json', '--skip-download'], {
      encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, BC_SKIP_MAPPING: 'TRUE', CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: 'false' },
    });
    if (run.error) throw new Error(`checkov did not run: ${run.error.message}`);
    let parsed: CheckovReport | CheckovReport[];
    try {
      parsed = JSON.parse(run.stdout) as CheckovReport | CheckovReport[];
    } catch {
      throw new Error(`checkov output is not JSON (exit ${run.status}): ${run.stdout.slice(0, 500)} ${run.stderr.slice(-2000)}`);
    }
    const reports = Array.isArray(parsed) ? parsed : [parsed];
    const report = reports.find((r) => r.check_type === 'cloudformation');
    if (!report) throw new Error(`checkov reported no CloudFormation results: ${run.stdout.slice(0, 500)}`);
    expect(report.summary.parsing_errors).toBe(0);
    expect(report.summary.passed).toBeGreaterThan(0);
    const failed = report.results.failed_checks.map((f) => `${path.basename(f.file_path)} ${f.resource} ${f.check_id}: ${f.check_name}`);
    expect(failed).toEqual([]);
    const unexplained = report.results.skipped_checks
      .filter((s) => (s.check_result?.suppress_comment ?? '').trim().length < 20)
      .map((s) => `${path.basename(s.file_path)} ${s.resource} ${s.check_id}`);
    expect(unexplained).toEqual([]);
  }, 180_000);
});
