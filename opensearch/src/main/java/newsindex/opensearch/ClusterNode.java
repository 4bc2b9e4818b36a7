package newsindex.opensearch;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One real OpenSearch node, run from jars on the classpath rather than from a distribution.
 *
 * A distribution finds its modules (HTTP/transport, analysis) in its modules/ folder;
 * here they are Maven artifacts on the classpath, handed to Node's protected
 * constructor as classpath plugins, the way OpenSearch's own test framework
 * (MockNode) starts nodes.  Settings come as arguments, "key=value" each
 * (opensearch/cluster.py passes cluster name, node name, ports, paths and discovery).
 * The node stops cleanly on SIGTERM (a shutdown hook closes it).
 */
public class ClusterNode extends Node {

    static final List<Class<? extends Plugin>> MODULES = List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);

    public ClusterNode(Settings settings, Collection<Class<? extends Plugin>> plugins) {
        super(InternalSettingsPreparer.prepareEnvironment(settings, Collections.emptyMap(), null,
                () -> settings.get("node.name")), plugins, true);
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("expected key=value, got " + arg);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        // Logging is configured by log4j2.properties (-Dlog4j2.configurationFile, set by cluster.py).
        LogConfigurator.setNodeName(settings.get("node.name", "node"));

        ClusterNode node = new ClusterNode(settings, MODULES);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "newsindex-node-shutdown"));
        node.start();
        stopped.await();
    }
}
