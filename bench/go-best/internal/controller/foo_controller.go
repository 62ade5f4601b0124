/*
Copyright 2026.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package controller

import (
	"context"
	"fmt"
	"os"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	tutorialv1 "my.domain/tutorial/api/v1"
)

// The article's controller with controller-runtime's usual remedies: Pods are cached as
// metadata only, both lookups go through a cache index instead of a scan, Pod updates (which
// cannot change a name) are ignored, and the status is written only when it changes. Tuned for
// throughput as the Rust operator is: 16 reconciles at once, and the same Events (events.k8s.io,
// through controller-runtime's recorder) when a Foo becomes happy or sad.

const (
	// friendIndex indexes Foos by spec.name, to find the Foos looking for a Pod.
	friendIndex = "spec.name"
	// podNameIndex indexes Pod metadata by name, whatever the namespace.
	podNameIndex = "metadata.name"
	// defaultWorkers is the Rust operator's reconcile concurrency.
	defaultWorkers = 16
	// workersEnv overrides it: the benchmark's one-worker column (controller-runtime's default).
	workersEnv = "FOO_MAX_CONCURRENT_RECONCILES"
)

// FooReconciler reconciles a Foo object
type FooReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	recorder recorder.EventRecorder
}

// +kubebuilder:rbac:groups=tutorial.my.domain,resources=foos,verbs=get;list;watch
// +kubebuilder:rbac:groups=tutorial.my.domain,resources=foos/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile sets status.happy to whether a Pod named spec.name exists in any namespace.
func (r *FooReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	log := logf.FromContext(ctx)

	var foo tutorialv1.Foo
	if err := r.Get(ctx, req.NamespacedName, &foo); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}

	friends := podMetadataList()
	if err := r.List(ctx, friends, client.MatchingFields{podNameIndex: foo.Spec.Name}); err != nil {
		return ctrl.Result{}, err
	}
	happy := len(friends.Items) > 0
	if foo.Status.Happy == happy {
		return ctrl.Result{}, nil
	}
	wasHappy := foo.Status.Happy

	patch := client.MergeFrom(foo.DeepCopy())
	foo.Status.Happy = happy
	if err := r.Status().Patch(ctx, &foo, patch); err != nil {
		return ctrl.Result{}, err
	}
	log.Info("status updated", "friend", foo.Spec.Name, "happy", happy)

	// The recorder publishes in the background, as the Rust operator's EventPublisher does.
	switch {
	case happy:
		r.recorder.Eventf(&foo, nil, corev1.EventTypeNormal, "FriendFound", "Reconcile",
			"Found Pod %s, Foo is happy", foo.Spec.Name)
	case wasHappy:
		r.recorder.Eventf(&foo, nil, corev1.EventTypeNormal, "FriendLost", "Reconcile",
			"Pod %s is gone, Foo is sad", foo.Spec.Name)
	}
	return ctrl.Result{}, nil
}

// SetupWithManager sets up the controller with the Manager.
func (r *FooReconciler) SetupWithManager(mgr ctrl.Manager) error {
	ctx := context.Background()
	workers, err := maxConcurrentReconciles()
	if err != nil {
		return err
	}
	r.recorder = mgr.GetEventRecorder("foo-controller")
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(ctx, &tutorialv1.Foo{}, friendIndex, func(obj client.Object) []string {
		return []string{obj.(*tutorialv1.Foo).Spec.Name}
	}); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, podMetadata(), podNameIndex, func(obj client.Object) []string {
		return []string{obj.GetName()}
	}); err != nil {
		return err
	}

	// A Pod's name never changes: only its creation and deletion matter.
	presenceOnly := predicate.Funcs{
		UpdateFunc: func(event.UpdateEvent) bool { return false },
	}
	return ctrl.NewControllerManagedBy(mgr).
		// Status writes bump no generation: they do not trigger another reconcile.
		For(&tutorialv1.Foo{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		WatchesMetadata(
			&corev1.Pod{},
			handler.EnqueueRequestsFromMapFunc(r.foosLookingFor),
			builder.WithPredicates(presenceOnly),
		).
		Named("foo").
		WithOptions(controller.Options{MaxConcurrentReconciles: workers}).
		Complete(r)
}

func maxConcurrentReconciles() (int, error) {
	value, set := os.LookupEnv(workersEnv)
	if !set {
		return defaultWorkers, nil
	}
	workers, err := strconv.Atoi(value)
	if err != nil || workers < 1 {
		return 0, fmt.Errorf("%s=%q: want a whole number of workers, 1 or more", workersEnv, value)
	}
	return workers, nil
}

// foosLookingFor maps a Pod to the Foos whose spec.name is its name.
func (r *FooReconciler) foosLookingFor(ctx context.Context, pod client.Object) []reconcile.Request {
	var foos tutorialv1.FooList
	if err := r.List(ctx, &foos, client.MatchingFields{friendIndex: pod.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "unable to list the Foos looking for a Pod", "pod", pod.GetName())
		return nil
	}
	requests := make([]reconcile.Request, 0, len(foos.Items))
	for _, foo := range foos.Items {
		requests = append(requests, reconcile.Request{
			NamespacedName: types.NamespacedName{Name: foo.Name, Namespace: foo.Namespace},
		})
	}
	return requests
}

func podMetadata() *metav1.PartialObjectMetadata {
	pod := &metav1.PartialObjectMetadata{}
	pod.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Pod"))
	return pod
}

func podMetadataList() *metav1.PartialObjectMetadataList {
	pods := &metav1.PartialObjectMetadataList{}
	pods.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("PodList"))
	return pods
}
