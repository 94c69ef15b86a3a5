package controller_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	v1alpha1 "github.com/orgsync/orgsync/api/v1alpha1"
	"github.com/orgsync/orgsync/internal/cloudsim"
	"github.com/orgsync/orgsync/internal/controller"
	"github.com/orgsync/orgsync/internal/devenv"
	"github.com/orgsync/orgsync/internal/providers"
)

const operatorNamespace = devenv.Namespace

var (
	testEnv   *envtest.Environment
	k8sClient client.Client
	scheme    = runtime.NewScheme()
	writes    = &devenv.WriteCounter{}
	// sim serves small lists for behaviour tests; bigSim serves the at-scale lists.
	sim, bigSim *cloudsim.Server
	suiteCtx    context.Context
	stopSuite   context.CancelFunc
)

func TestController(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	RunSpecs(t, "Controller Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	Expect(os.Getenv("KUBEBUILDER_ASSETS")).NotTo(BeEmpty(),
		"KUBEBUILDER_ASSETS is unset: run the tests with `make test`, which builds the control plane")
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	suiteCtx, stopSuite = context.WithCancel(context.Background())

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	Expect(k8sClient.Create(suiteCtx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}})).To(Succeed())

	sim = cloudsim.New(cloudsim.Config{
		Seed:         1,
		Confluent:    cloudsim.ConfluentConfig{Organizations: 30, Environments: []string{"env-00000", "env-00001"}, ConnectClustersPerEnvironment: 12},
		Azure:        cloudsim.AzureConfig{OrganizationsPerSubscription: 30, PageSize: 10},
		CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 30},
	})
	sim.StartTLS()
	bigSim = cloudsim.New(cloudsim.Config{
		Seed:         2,
		Confluent:    cloudsim.ConfluentConfig{Organizations: 1000, Environments: []string{"env-00000", "env-00001"}, ConnectClustersPerEnvironment: 500},
		Azure:        cloudsim.AzureConfig{OrganizationsPerSubscription: 1000},
		CloudFoundry: cloudsim.CloudFoundryConfig{Organizations: 1000},
	})
	bigSim.StartTLS()

	// The manager's requests go through writes, which counts what reaches the API server.
	mgrCfg := rest.CopyConfig(cfg)
	mgrCfg.QPS, mgrCfg.Burst = 500, 1000
	mgrCfg.Wrap(writes.Wrap)
	mgr, err := ctrl.NewManager(mgrCfg, ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  controller.CacheOptions(operatorNamespace),
	})
	Expect(err).NotTo(HaveOccurred())
	Expect((&controller.CloudAccountReconciler{
		Client:      mgr.GetClient(),
		APIReader:   mgr.GetAPIReader(),
		Scheme:      mgr.GetScheme(),
		Recorder:    mgr.GetEventRecorder("orgsync"),
		NewProvider: providers.Factory{Transport: devenv.Trusting(sim, bigSim)}.New,
		Namespace:   operatorNamespace,
	}).SetupWithManager(mgr)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(suiteCtx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	if stopSuite != nil {
		stopSuite()
	}
	for _, s := range []*cloudsim.Server{sim, bigSim} {
		if s != nil {
			s.Close()
		}
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
