// Small configuration files the control plane reads: static token auth, audit policy, kubeconfig.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

/** A random bearer token (the admin credential of this throwaway cluster). */
export function newToken(): string {
  return randomBytes(24).toString('hex');
}

/** --token-auth-file: one admin in system:masters (CSV: token,user,uid,"groups"). */
export function writeTokenFile(file: string, adminToken: string): void {
  writeFileSync(file, `${adminToken},admin,admin,"system:masters"\n`, { mode: 0o600 });
}

/**
 * --audit-policy-file: every request at Metadata level (who did what to which resource, no bodies),
 * which is what later work needs to derive least-privilege RBAC from a run. Read-only noise from the
 * control plane's own health checks is left out to keep the log small.
 */
export function auditPolicy(): object {
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [
      { level: 'None', nonResourceURLs: ['/healthz*', '/readyz*', '/livez*', '/version'] },
      { level: 'Metadata' },
    ],
  };
}

export function writeAuditPolicy(file: string): void {
  writeFileSync(file, stringify(auditPolicy()));
}

export interface KubeconfigParams {
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  readonly name?: string;
}

export function kubeconfig(p: KubeconfigParams): object {
  const name = p.name ?? 'meshwright-local';
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: { server: p.server, 'certificate-authority-data': Buffer.from(p.caPem).toString('base64') },
      },
    ],
    users: [{ name: 'admin', user: { token: p.token } }],
    contexts: [{ name, context: { cluster: name, user: 'admin' } }],
    'current-context': name,
  };
}

export function writeKubeconfig(file: string, p: KubeconfigParams): void {
  writeFileSync(file, stringify(kubeconfig(p)), { mode: 0o600 });
}
