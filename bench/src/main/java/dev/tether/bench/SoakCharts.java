package dev.tether.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.annotations.XYTitleAnnotation;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The soak's chart, one PNG drawn with JFreeChart: five panels over the run's minutes (heap after
 * GC, live threads, end-to-end latency p50/p99 on a log scale, msgs/s sent and delivered,
 * connections and outbox depth), each with its own legend and a vertical line at every injected
 * fault, coloured by kind (the legend below the chart). Needs a headless AWT with fonts (Debian: fontconfig and fonts-dejavu-core).
 */
final class SoakCharts {
  private static final Color[] SERIES = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};
  private static final Map<String, Color> FAULT_COLOURS = new LinkedHashMap<>();

  static {
    FAULT_COLOURS.put("server-restart", new Color(0x9467bd));
    FAULT_COLOURS.put("server-kill", new Color(0xd62728));
    FAULT_COLOURS.put("state-reset", new Color(0x000000));
    FAULT_COLOURS.put("connection-drop", new Color(0xff7f0e));
    FAULT_COLOURS.put("blackhole", new Color(0x7f7f7f));
    FAULT_COLOURS.put("latency", new Color(0x17becf));
    FAULT_COLOURS.put("stop-reading", new Color(0xbcbd22));
    FAULT_COLOURS.put("client-kill", new Color(0xe377c2));
    FAULT_COLOURS.put("lossy-link", new Color(0x8c564b));
    FAULT_COLOURS.put("node-kill", new Color(0xff1493));
    FAULT_COLOURS.put("redis-restart", new Color(0x006400));
  }

  private SoakCharts() {}

  /** Draws {@code samples} (faults from their {@code faults} column, to the second) into {@code png}. */
  static void write(Path png, String title, List<SoakSampler.Sample> samples) throws IOException {
    System.setProperty("java.awt.headless", "true");
    NumberAxis minutes = new NumberAxis("minutes");
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(minutes);
    plot.setGap(12);
    String server = samples.stream().anyMatch(s -> s.redisUp() >= 0) ? "heaviest node JVM" : "server JVM";
    plot.add(panel(samples, new NumberAxis("heap after GC, MiB"),
        new String[] {"client JVM", server},
        SoakSampler.Sample::clientHeapMiB, SoakSampler.Sample::serverHeapMiB), 2);
    plot.add(panel(samples, new NumberAxis("live threads"),
        new String[] {"client JVM", server, "child client JVMs"},
        SoakSampler.Sample::clientThreads, SoakSampler.Sample::serverThreads, s -> s.childThreads()), 2);
    LogAxis ms = new LogAxis("end-to-end latency, ms");
    ms.setSmallestValue(0.1);
    ms.setNumberFormatOverride(new java.text.DecimalFormat("#,##0.#"));
    plot.add(panel(samples, ms, new String[] {"p50", "p99"},
        SoakSampler.Sample::p50Ms, SoakSampler.Sample::p99Ms), 2);
    double[] mean = movingMean(samples, 10);
    plot.add(panel(samples, new NumberAxis("msgs/s"),
        new String[] {"delivered, per second", "delivered, 10 s mean", "sent (accepted)"},
        new Color[] {new Color(0x9ecae1), new Color(0x08519c), SERIES[1]},
        column(samples, s -> s.deliveredPerS()), mean, column(samples, s -> s.sentPerS())), 2);
    plot.add(panel(samples, new NumberAxis("count"), new String[] {"server connections", "outbox depth"},
        SoakSampler.Sample::serverConnections, s -> s.outbox()), 1);
    double drainAt = samples.stream().filter(s -> s.phase().equals("drain")).mapToDouble(s -> s.t() / 60)
        .findFirst().orElse(Double.NaN);
    for (Object o : plot.getSubplots()) {
      XYPlot sub = (XYPlot) o;
      if (!Double.isNaN(drainAt)) {
        ValueMarker m = new ValueMarker(drainAt, Color.BLACK, new BasicStroke(2f, BasicStroke.CAP_BUTT,
            BasicStroke.JOIN_MITER, 1f, new float[] {6f, 4f}, 0f));
        sub.addDomainMarker(m);
      }
      for (SoakSampler.Sample s : samples) {
        for (String kind : kinds(s)) {
          ValueMarker m = new ValueMarker(s.t() / 60);
          m.setPaint(withAlpha(FAULT_COLOURS.getOrDefault(kind, Color.DARK_GRAY), 150));
          m.setStroke(new BasicStroke(1.5f));
          sub.addDomainMarker(m);
        }
      }
    }
    LegendItemCollection legend = new LegendItemCollection();
    if (!Double.isNaN(drainAt)) {
      legend.add(new LegendItem("end of faults: heal and drain", null, null, null, new Rectangle(2, 10), Color.BLACK));
    }
    FAULT_COLOURS.forEach((kind, colour) -> {
      if (samples.stream().anyMatch(s -> kinds(s).contains(kind))) {
        legend.add(new LegendItem("fault: " + kind, null, null, null, new Rectangle(2, 10), colour));
      }
    });
    plot.setFixedLegendItems(legend);
    JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
    chart.addSubtitle(new TextTitle(title, new Font(Font.SANS_SERIF, Font.BOLD, 14)));
    chart.setBackgroundPaint(Color.WHITE);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, 1400, 1500);
  }

  @SafeVarargs
  private static XYPlot panel(List<SoakSampler.Sample> samples, ValueAxis axis, String[] names,
      ToDoubleFunction<SoakSampler.Sample>... values) {
    double[][] columns = new double[values.length][];
    for (int i = 0; i < values.length; i++) {
      columns[i] = column(samples, values[i]);
    }
    return panel(samples, axis, names, SERIES, columns);
  }

  private static double[] column(List<SoakSampler.Sample> samples, ToDoubleFunction<SoakSampler.Sample> f) {
    return samples.stream().mapToDouble(f).toArray();
  }

  private static XYPlot panel(List<SoakSampler.Sample> samples, ValueAxis axis, String[] names, Color[] colours,
      double[]... values) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (int i = 0; i < values.length; i++) {
      XYSeries series = new XYSeries(names[i], false, true);
      for (int j = 0; j < samples.size(); j++) {
        double v = values[i][j];
        boolean usable = !Double.isNaN(v) && v >= 0 && !(axis instanceof LogAxis && v <= 0);
        series.add(samples.get(j).t() / 60, usable ? Double.valueOf(v) : null);
      }
      data.addSeries(series);
    }
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < values.length; i++) {
      renderer.setSeriesPaint(i, colours[i % colours.length]);
      renderer.setSeriesStroke(i, new BasicStroke(1.2f));
    }
    if (axis instanceof NumberAxis n) {
      n.setAutoRangeIncludesZero(true);
    }
    XYPlot plot = new XYPlot(data, null, axis, renderer);
    LegendTitle legend = new LegendTitle(plot);
    legend.setBackgroundPaint(new Color(255, 255, 255, 220));
    legend.setFrame(new BlockBorder(Color.LIGHT_GRAY));
    legend.setItemFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    plot.addAnnotation(new XYTitleAnnotation(0.005, 0.99, legend, RectangleAnchor.TOP_LEFT));
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    return plot;
  }

  /** The mean of delivered msgs/s over the {@code window} seconds up to each sample. */
  private static double[] movingMean(List<SoakSampler.Sample> samples, int window) {
    double[] mean = new double[samples.size()];
    double sum = 0;
    for (int i = 0; i < samples.size(); i++) {
      sum += samples.get(i).deliveredPerS();
      if (i >= window) {
        sum -= samples.get(i - window).deliveredPerS();
      }
      mean[i] = sum / Math.min(i + 1, window);
    }
    return mean;
  }

  private static List<String> kinds(SoakSampler.Sample s) {
    return s.faults().isEmpty() ? List.of() : List.of(s.faults().split("\\+"));
  }

  /** The samples of a soak's CSV. */
  static List<SoakSampler.Sample> read(Path csv) throws IOException {
    List<String> lines = Files.readAllLines(csv);
    if (lines.isEmpty() || !(lines.get(0).equals(SoakSampler.HEADER) || lines.get(0).equals(SoakSampler.HEADER_V1))) {
      throw new IOException(csv + " is not a soak CSV (expected the header " + SoakSampler.HEADER + ")");
    }
    return lines.subList(1, lines.size()).stream().map(SoakSampler.Sample::parse).toList();
  }

  private static Color withAlpha(Color c, int alpha) {
    return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
  }
}
