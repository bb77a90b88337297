import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Job } from 'kubernetes-models/batch/v1';
import { parse } from 'yaml';
import { ROOT } from '../../lib/root.ts';

const manifest = (file: string) =>
  parse(readFileSync(join(ROOT, 'deploy', 'kubernetes', file), 'utf8')) as ConstructorParameters<
    typeof Job
  >[0];

describe('the Kubernetes manifests (deploy/kubernetes/)', () => {
  it('are valid batch/v1 Jobs by the Kubernetes OpenAPI schema', () => {
    for (const file of ['ranks-job.yaml', 'merge-job.yaml']) new Job(manifest(file)).validate();
  });

  it('the schema check catches a broken Job (so passing means something)', () => {
    const broken = manifest('ranks-job.yaml') as unknown as { spec: Record<string, unknown> };
    broken.spec.backoffLimitPerIndex = 'three';
    expect(() => new Job(broken as never).validate()).to.throw();
  });

  it('the ranks retry per index, which Kubernetes allows only with restartPolicy Never, one rank per index', () => {
    const job = manifest('ranks-job.yaml')!;
    const spec = job.spec!;
    expect(spec.completionMode).to.equal('Indexed');
    expect(spec.backoffLimitPerIndex).to.be.a('number');
    expect(spec.template.spec!.restartPolicy).to.equal('Never');
    const command = spec.template.spec!.containers[0]!.command!.join(' ');
    expect(command)
      .to.include(`--world ${spec.completions}`)
      .and.include('$JOB_COMPLETION_INDEX')
      .and.include('--until pair');
    expect(manifest('merge-job.yaml')!.spec!.template.spec!.containers[0]!.command!.join(' ')).to.include(
      'structflow merge',
    );
  });
});
