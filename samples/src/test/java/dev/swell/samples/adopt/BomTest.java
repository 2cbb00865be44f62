package dev.swell.samples.adopt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** swell-bom manages Swell's library artifacts and ONNX Runtime's, at the build's versions, and nothing else. */
class BomTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  @Test
  @DisplayName("the BOM has no parent, manages only Swell's libraries and ONNX Runtime, at the root pom's versions")
  void bomMatchesTheBuild() throws Exception {
    Document bom = read(ROOT.resolve("swell-bom/pom.xml"));
    Document root = read(ROOT.resolve("pom.xml"));
    assertThat(bom.getElementsByTagName("parent").getLength()).as("a parent's managed entries would be imported too")
        .isZero();
    assertThat(property(bom, "swell.version")).isEqualTo(child(root.getDocumentElement(), "version"));
    assertThat(property(bom, "onnxruntime.version")).isEqualTo(property(root, "onnxruntime.version"));
    List<String> managed = new ArrayList<>();
    NodeList deps = ((Element) bom.getElementsByTagName("dependencyManagement").item(0)).getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      managed.add(child(d, "groupId") + ":" + child(d, "artifactId"));
    }
    assertThat(managed).containsExactlyInAnyOrder("dev.swell:swell-api", "dev.swell:swell-core", "dev.swell:swell-onnx",
        "dev.swell:swell-registry", "dev.swell:swell-abtest", "dev.swell:swell-spark", "com.microsoft.onnxruntime:onnxruntime_gpu",
        "com.microsoft.onnxruntime:onnxruntime");
    assertThat(bom.getElementsByTagName("license").getLength()).isEqualTo(1);
    assertThat(root.getElementsByTagName("license").getLength()).isEqualTo(1);
    assertThat(ROOT.resolve("LICENSE")).content().contains("Apache License", "Version 2.0, January 2004");
  }

  private static Document read(Path pom) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
  }

  private static String property(Document pom, String name) {
    Element props = (Element) pom.getElementsByTagName("properties").item(0);
    return child(props, name);
  }

  private static String child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e.getTextContent().trim();
      }
    }
    throw new AssertionError("no <" + name + "> in <" + parent.getTagName() + ">");
  }
}
