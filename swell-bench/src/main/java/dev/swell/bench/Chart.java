package dev.swell.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Draws the gate's ratios as an SVG bar chart: measured (with error) beside the baseline. */
final class Chart {

  private Chart() {}

  static String svg(List<Gate.Ratio> ratios, Map<String, double[]> baseline) {
    int rowH = 26;
    int left = 260;
    int width = 760;
    int height = 60 + rowH * ratios.size() + 30;
    double max = 0.5;
    for (Gate.Ratio r : ratios) {
      max = Math.max(max, r.ratio() + r.error());
      double[] b = baseline.get(r.key());
      if (b != null) {
        max = Math.max(max, b[0] * (1 + b[1]));
      }
    }
    max = Math.ceil(max * 4) / 4;
    double scale = (width - left - 40) / max;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
        + "font-family='sans-serif' font-size='12'>%n", width, height));
    s.append("<rect width='100%' height='100%' fill='white'/>\n");
    s.append("<text x='10' y='20' font-size='14'>Time per call as a ratio of raw ONNX Runtime (same run); "
        + "grey = baseline (tolerance hatched), blue = measured</text>\n");
    double x1 = left + scale;
    s.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='35' x2='%.1f' y2='%d' stroke='black' "
        + "stroke-dasharray='4 3'/><text x='%.1f' y='%d'>1.0 = raw ORT</text>%n", x1, x1, height - 25, x1 - 30, height - 10));
    int y = 45;
    for (Gate.Ratio r : ratios) {
      s.append(String.format(Locale.ROOT, "<text x='10' y='%d'>%s</text>%n", y + 14, r.key()));
      double[] b = baseline.get(r.key());
      if (b != null) {
        s.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%.1f' height='8' fill='#bbb'/>%n",
            left, y, b[0] * scale));
        s.append(String.format(Locale.ROOT, "<rect x='%.1f' y='%d' width='%.1f' height='8' fill='#eee' "
            + "stroke='#999'/>%n", left + b[0] * scale, y, b[0] * b[1] * scale));
      }
      String color = b != null && r.ratio() / b[0] - 1 > b[1] ? "#d33" : "#36c";
      s.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%.1f' height='10' fill='%s'/>%n",
          left, y + 10, r.ratio() * scale, color));
      s.append(String.format(Locale.ROOT, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='black'/>%n",
          left + (r.ratio() - r.error()) * scale, y + 15, left + (r.ratio() + r.error()) * scale, y + 15));
      s.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d'>%.3f</text>%n",
          left + (r.ratio() + r.error()) * scale + 5, y + 19, r.ratio()));
      y += rowH;
    }
    s.append("</svg>\n");
    return s.toString();
  }
}
