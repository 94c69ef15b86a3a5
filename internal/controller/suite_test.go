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
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/orgsync/orgsync/internal/cloudsim"
	"github.com/orgsync/orgsync/internal/devenv"
	"github.com/orgsync/orgsync/internal/operator"
)

const operatorNamespace = devenv.Namespace

var (
	testEnv   *envtest.Environment
	k8sClient client.Client
	scheme    = operator.NewScheme()
	writes    = &devenv.WriteCounter{}
	// sim serves small lists for behaviour tests; bigSim serves the at-scale lists.
	sim, bigSim *cloudsim.Server
	suiteCtx    context.Context
	stopSuite   context.CancelFunc
)

func TestController(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server (envtest): run make test-int")
	}
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	RunSpecs(t, "Controller Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	Expect(os.Getenv("KUBEBUILDER_ASSETS")).NotTo(BeEmpty(),
		"KUBEBUILDER_ASSETS is unset: run the tests with `make test`, which builds the control plane")
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
	mgrCfg := operator.DefaultFlags().RESTConfig(cfg)
	mgrCfg.Wrap(writes.Wrap)
	mgr, err := operator.New(mgrCfg, operator.Options{
		Namespace: operatorNamespace,
		Transport: devenv.Trusting(sim, bigSim),
		Manager:   devenv.ManagerOptions(),
	})
	Expect(err).NotTo(HaveOccurred())
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
