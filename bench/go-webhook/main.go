// Command go-webhook serves, with controller-runtime's webhook server, the validating webhook
// that kube-operator-runtime's webhook_latency example serves in Rust: a "Checked" object is
// refused when spec.name is empty. The example starts either server against the same API
// server and measures the latency each adds (see bench/README.md).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// path is the one the Rust runtime gives a validating webhook of bench.example.com/v1 Checked.
const path = "/validate-bench-example-com-v1-checked"

// checked is the part of a Checked object the validation reads.
type checked struct {
	Spec struct {
		Name string `json:"name"`
	} `json:"spec"`
}

// validator decodes the object and checks it, as a CustomValidator's ValidateCreate would.
type validator struct{}

func (validator) Handle(_ context.Context, req admission.Request) admission.Response {
	var obj checked
	if err := json.Unmarshal(req.Object.Raw, &obj); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if obj.Spec.Name == "" {
		return admission.Denied(field.Invalid(field.NewPath("spec", "name"), obj.Spec.Name, "must not be empty").Error())
	}
	return admission.Allowed("")
}

func main() {
	var host, certDir, certName, keyName string
	var port int
	// The flag names of the Rust manager, as kube-operator-runtime's testing helpers pass them.
	flag.StringVar(&host, "webhook-host", "", "The address the webhook server binds to.")
	flag.IntVar(&port, "webhook-port", 9443, "The port the webhook server listens on.")
	flag.StringVar(&certDir, "webhook-cert-path", "", "The directory that holds the certificate.")
	flag.StringVar(&certName, "webhook-cert-name", "tls.crt", "The certificate file's name.")
	flag.StringVar(&keyName, "webhook-key-name", "tls.key", "The key file's name.")
	flag.Parse()
	ctrl.SetLogger(zap.New())

	server := webhook.NewServer(webhook.Options{
		Host:     host,
		Port:     port,
		CertDir:  certDir,
		CertName: certName,
		KeyName:  keyName,
	})
	server.Register(path, &webhook.Admission{Handler: validator{}})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := server.Start(ctx); err != nil {
		ctrl.Log.Error(err, "webhook server failed")
		os.Exit(1)
	}
}
