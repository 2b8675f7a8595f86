{{/* Labels every object carries (config/default: part-of; Helm: managed-by, chart, instance). */}}
{{- define "meshwright.labels" -}}
app.kubernetes.io/part-of: meshwright
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "meshwright.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The pod-level settings both Deployments share: uid 65532, RuntimeDefault seccomp. */}}
{{- define "meshwright.podSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  runAsGroup: 65532
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{- define "meshwright.containerSecurityContext" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  privileged: false
  capabilities:
    drop: [ALL]
{{- end }}

{{/* Namespaces the webhook never injects into: its own, and the system namespaces istiod skips. */}}
{{- define "meshwright.excludedNamespaces" -}}
- key: kubernetes.io/metadata.name
  operator: NotIn
  values: [{{ .Release.Namespace }}, kube-system, kube-public, kube-node-lease, local-path-storage]
{{- end }}

{{/* Scheduling values of one workload (operator or webhook), when set. */}}
{{- define "meshwright.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
