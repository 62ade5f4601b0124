{{/*
The prefix of every object's name, like kustomize's namePrefix in config/default. Names do not
depend on the release, because the CRDs and the manager's cluster-wide permissions exist once per
cluster anyway.
*/}}
{{- define "friends.name" -}}
friends
{{- end }}

{{/*
The labels of every object. crdgen sets the same ones on the templates it writes (crd/ and the
roles in rbac/).
*/}}
{{- define "friends.labels" -}}
app.kubernetes.io/name: {{ include "friends.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
What selects the manager's Pods: the Deployment, the metrics Service, the ServiceMonitor.
*/}}
{{- define "friends.selectorLabels" -}}
control-plane: controller-manager
app.kubernetes.io/name: {{ include "friends.name" . }}
{{- end }}
