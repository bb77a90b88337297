import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from '../root.ts';

let pythonPath: string | undefined;

/**
 * The interpreter binary, resolved once: `python3` is often a pyenv shim that costs about half a second
 * per start, so the real `sys.executable` is used.
 */
export function resolvePython(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.STRUCTFLOW_PYTHON) return process.env.STRUCTFLOW_PYTHON;
  pythonPath ??= execFileSync('python3', ['-c', 'import sys; print(sys.executable)']).toString().trim();
  return pythonPath;
}

const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * The interpreter for sandboxed programs, chosen the same way on every machine, never by a silent
 * fallback: `explicit`, else `$STRUCTFLOW_PYTHON`, else Debian's /usr/bin/python3 (readable by the
 * sandbox's uid, with python3-numpy and python3-seccomp beside it), else `python3` on the PATH when
 * other users can read its standard library. `structflow doctor run` says which.
 */
export function resolveSandboxPython(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.STRUCTFLOW_PYTHON) return process.env.STRUCTFLOW_PYTHON;
  if (existsSync(DEBIAN_PYTHON)) return DEBIAN_PYTHON;
  const python = resolvePython();
  const stdlib = execFileSync(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["stdlib"])'])
    .toString()
    .trim();
  if (process.getuid?.() !== 0 || readableByOthers(stdlib)) return python;
  throw new Error(
    `no Python for the sandbox: ${DEBIAN_PYTHON} is missing and ${python}'s standard library (${stdlib}) is not ` +
      'readable by other users; apt-get install python3, or set STRUCTFLOW_PYTHON',
  );
}

/** The programs' own packages (python/programs-requirements.txt), installed by python/setup-venv.sh. */
export const SANDBOX_SITE = join(ROOT, '.sandbox-site');

/** The command that makes `.venv` and `.sandbox-site` (`npm ci` runs it in a checkout; an installed package needs it once). */
export const VENV_INSTALL = `bash ${relative(process.cwd(), join(ROOT, 'python', 'setup-venv.sh')) || join(ROOT, 'python', 'setup-venv.sh')} (npm ci runs it in a checkout)`;
const SITE_MOUNT = '/opt/structflow/site';

/** The programs' packages, as `doctor` reports them; throws with the install command when one is missing. */
export function sandboxSite(): string {
  const wanted = readFileSync(join(ROOT, 'python', 'programs-requirements.txt'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
  const missing = wanted.filter((name) => !existsSync(join(SANDBOX_SITE, name)));
  if (missing.length) throw new Error(`${missing.join(', ')} not in ${SANDBOX_SITE}: ${VENV_INSTALL}`);
  return `${wanted.join(', ')} in ${SANDBOX_SITE}`;
}

function readableByOthers(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if ((statSync(p).mode & 0o005) !== 0o005) return false;
    if (dirname(p) === p) return true;
  }
}

let bwrapChecked: string | undefined;

/** Fails, with the install command, when bubblewrap is missing or cannot make its namespaces here. */
export function requireBwrap(): string {
  if (bwrapChecked) return bwrapChecked;
  const v = spawnSync('bwrap', ['--version']);
  if (v.error || v.status !== 0)
    throw new Error(
      'the sandbox needs bubblewrap (bwrap), which is not installed: apt-get install bubblewrap',
    );
  const probe = spawnSync(
    'bwrap',
    [...baseArgs('/usr/bin/true'), '--seccomp', '0', '--remount-ro', '/', '/usr/bin/true'],
    { ...sandboxUser(65534), input: seccompFilter() },
  );
  if (probe.status !== 0) {
    const said = probe.error?.message ?? probe.stderr.toString().trim();
    // a folder the sandbox mounts that its user (another uid) cannot enter: not a namespace problem
    const path = /Can't find source path (.*): Permission denied/.exec(said)?.[1];
    if (path)
      throw new Error(
        `the sandbox's user cannot read ${path} (bwrap: ${said}): every folder above it must be readable and ` +
          'searchable by other users (chmod o+rx), since programs run as another uid',
      );
    if (/Resource temporarily unavailable/.test(said))
      throw new Error(
        `the machine is short of processes or memory for the sandbox (${said}): free some and run again`,
      );
    throw new Error(
      `bubblewrap cannot create its namespaces on this machine (${said}); ` +
        'unprivileged user namespaces must be enabled (sysctl user.max_user_namespaces > 0)',
    );
  }
  bwrapChecked = v.stdout.toString().trim();
  return bwrapChecked;
}

const FILTER_PYTHON = '/usr/bin/python3';
let filter: Buffer | undefined;

/**
 * The seccomp filter every sandbox process runs under (python/seccomp_filter.py says what it denies
 * and why), built once per process with Debian's libseccomp binding; bwrap reads it from a pipe.
 */
export function seccompFilter(): Buffer {
  if (filter) return filter;
  const r = spawnSync(FILTER_PYTHON, [join(ROOT, 'python', 'seccomp_filter.py')]);
  if (r.error || r.status !== 0 || !r.stdout.length)
    throw new Error(
      `the sandbox's seccomp filter cannot be built (${(r.error?.message ?? r.stderr.toString().trim().split('\n').pop()) || 'no output'}): ` +
        "it needs Debian's libseccomp binding for /usr/bin/python3: apt-get install python3-seccomp",
    );
  filter = r.stdout;
  return filter;
}

/** As root, the sandbox drops to `uid` before bwrap starts; otherwise it runs as the caller's uid. */
export function sandboxUser(uid: number): { uid?: number; gid?: number } {
  return process.getuid?.() === 0 ? { uid, gid: uid } : {};
}

const MiB = 1 << 20;

/**
 * The isolation layers (bubblewrap's manual): every namespace new (no network but a private loopback,
 * own PID and IPC namespaces), no capabilities, no-new-privileges, a new session (no terminal to inject
 * into), no nested user namespaces, an empty read-only root with only /usr, the interpreter's prefix and
 * the loader's files of /etc bound read-only, and fresh size-capped tmpfs for every writable place. The caller ends its
 * arguments with `--remount-ro /`, once it has placed its own files. No host socket, lock
 * or temp directory is reachable, and the sandbox dies with the process that started it.
 */
export function baseArgs(python: string): string[] {
  const args = [
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  for (const dir of ['bin', 'lib', 'lib32', 'lib64', 'sbin'])
    if (existsSync(`/usr/${dir}`)) args.push('--symlink', `usr/${dir}`, `/${dir}`);
  // the dynamic loader's configuration and Debian's alternatives (numpy finds libblas through them)
  for (const etc of ['ld.so.cache', 'ld.so.conf', 'ld.so.conf.d', 'alternatives', 'localtime'])
    args.push('--ro-bind-try', `/etc/${etc}`, `/etc/${etc}`);
  const prefix = pythonPrefix(python);
  if (prefix && !prefix.startsWith('/usr/')) args.push('--ro-bind', prefix, prefix);
  // /proc/sys read-only: in the slot's own namespaces a program may write some of it (pid_max, ns_last_pid,
  // the IPC and mqueue limits), and that would outlive it; each entry still reads the slot's own values,
  // since the kernel resolves them by the reader's namespaces, whichever proc mount they are read through
  args.push('--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys', '--dev', '/dev');
  for (const [dir, size] of [
    ['/tmp', 256 * MiB],
    ['/var/tmp', 64 * MiB],
    ['/dev/shm', 64 * MiB],
    ['/run', 16 * MiB],
  ] as const)
    args.push('--size', String(size), '--tmpfs', dir);
  // /dev is bwrap's own tmpfs of device nodes: read-only, so nothing can be stored there across programs
  args.push('--symlink', '../run/lock', '/var/lock', '--mqueue', '/dev/mqueue', '--remount-ro', '/dev');
  args.push('--clearenv', '--chdir', '/tmp');
  for (const [k, v] of Object.entries(SANDBOX_ENV)) args.push('--setenv', k, v);
  if (existsSync(SANDBOX_SITE))
    args.push('--ro-bind', SANDBOX_SITE, SITE_MOUNT, '--setenv', 'PYTHONPATH', SITE_MOUNT);
  return args;
}

const SANDBOX_ENV = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C.UTF-8',
  HOME: '/tmp',
  PYTHONDONTWRITEBYTECODE: '1',
  PYTHONHASHSEED: '0',
};

function pythonPrefix(python: string): string | undefined {
  try {
    const real = realpathSync(python);
    return real.startsWith('/usr/') ? undefined : dirname(dirname(real));
  } catch {
    return undefined;
  }
}
