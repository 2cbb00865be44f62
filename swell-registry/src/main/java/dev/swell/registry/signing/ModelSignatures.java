package dev.swell.registry.signing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.registry.signing.ModelSignatureException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Signs and verifies model folders in the OpenSSF model-signing format ({@code model_signing} 1.x,
 * "sign key" / "verify key"), so that signatures interoperate with that tool.
 *
 * <p>A signature is a Sigstore bundle (v0.3) holding a DSSE envelope whose payload is an in-toto
 * Statement v1 with predicate type {@value #PREDICATE_TYPE}. The predicate lists every file of
 * the folder (relative POSIX paths, sorted) with its SHA-256 and says how the folder was
 * serialized, including the paths left out; the statement's subject digest is the SHA-256 of the
 * files' digests concatenated in order. The envelope is signed with ECDSA over DSSE's
 * pre-authentication encoding, and the bundle names the key by a hint: the SHA-256 of its PEM.
 * Transparency-log entries and certificates (Sigstore's keyless signing) are not used: trust
 * comes from the public keys a verifier is configured with, never from the bundle.
 *
 * <pre>{@code
 * KeyPair key = SigningKeys.generate();
 * byte[] bundle = ModelSignatures.signFolder(modelDir, List.of(), key);
 * SignedStatement s = ModelSignatures.verifyFolder(modelDir, bundle, List.of(key.getPublic()), List.of());
 * }</pre>
 */
public final class ModelSignatures {

  /** The bundle media type written and accepted. */
  public static final String BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
  /** The DSSE payload type. */
  public static final String PAYLOAD_TYPE = "application/vnd.in-toto+json";
  /** The in-toto statement type. */
  public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
  /** The model-signing predicate type. */
  public static final String PREDICATE_TYPE = "https://model_signing/signature/v1.0";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final int BUFFER = 1 << 20;
  /** Orders paths by code point, as Python sorts the strings {@code model_signing} writes. */
  static final Comparator<String> CODE_POINTS = (a, b) -> {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Integer.compare(a.length() - i, b.length() - j);
  };

  private ModelSignatures() {}

  /**
   * Signs a list of files given by their digests.
   *
   * @param subject the subject's name (the folder's name)
   * @param resources relative POSIX path to lowercase hex SHA-256 of every file to sign
   * @param ignorePaths the paths left out, recorded in the statement
   * @param key the signing key pair (its public half gives the hint)
   * @return the bundle's JSON bytes
   * @throws IllegalArgumentException if a path or digest is malformed, or the key is not an EC key
   */
  public static byte[] sign(String subject, Map<String, String> resources, List<String> ignorePaths, KeyPair key) {
    SigningKeys.curve(key.getPrivate(), "the signing key");
    List<String> names = new ArrayList<>(resources.keySet());
    names.sort(CODE_POINTS);
    ObjectNode statement = PRETTY.createObjectNode();
    statement.put("_type", STATEMENT_TYPE);
    MessageDigest root = sha256();
    ArrayNode list = PRETTY.createArrayNode();
    for (String name : names) {
      checkPath(name);
      String digest = resources.get(name);
      if (!HEX64.matcher(digest).matches()) {
        throw new IllegalArgumentException("the digest of " + name + " is not 64 lowercase hex digits: " + digest);
      }
      root.update(HexFormat.of().parseHex(digest));
      list.addObject().put("algorithm", "sha256").put("digest", digest).put("name", name);
    }
    ObjectNode subj = statement.putArray("subject").addObject();
    subj.put("name", subject);
    subj.putObject("digest").put("sha256", HexFormat.of().formatHex(root.digest()));
    statement.put("predicateType", PREDICATE_TYPE);
    ObjectNode predicate = statement.putObject("predicate");
    ObjectNode ser = predicate.putObject("serialization");
    ser.put("method", "files").put("hash_type", "sha256").put("allow_symlinks", false);
    ArrayNode ignored = ser.putArray("ignore_paths");
    ignorePaths.forEach(ignored::add);
    predicate.set("resources", list);
    byte[] payload;
    try {
      payload = PRETTY.writeValueAsBytes(statement);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    byte[] sig = ecdsa(key.getPrivate(), pae(payload));
    ObjectNode bundle = JSON.createObjectNode();
    bundle.put("mediaType", BUNDLE_MEDIA_TYPE);
    ObjectNode material = bundle.putObject("verificationMaterial");
    material.putObject("publicKey").put("hint", SigningKeys.hint(key.getPublic()));
    material.putArray("tlogEntries");
    ObjectNode env = bundle.putObject("dsseEnvelope");
    env.put("payload", Base64.getEncoder().encodeToString(payload));
    env.put("payloadType", PAYLOAD_TYPE);
    env.putArray("signatures").addObject().put("sig", Base64.getEncoder().encodeToString(sig));
    try {
      return JSON.writeValueAsBytes(bundle);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Hashes every file of a folder (all but the ignored paths) and signs them.
   *
   * @param folder the model folder
   * @param ignorePaths relative paths to leave out (files or folders)
   * @param key the signing key pair
   * @return the bundle's JSON bytes
   * @throws IOException if the folder cannot be read, or holds a symbolic link
   */
  public static byte[] signFolder(Path folder, List<String> ignorePaths, KeyPair key) throws IOException {
    return sign(folder.toAbsolutePath().normalize().getFileName().toString(), digests(folder, ignorePaths),
        ignorePaths, key);
  }

  /**
   * Checks that a bundle is a model-signing bundle signed by one of the trusted keys, and returns
   * what it signs. Files are not looked at: compare them with {@link SignedStatement#requireFiles}.
   *
   * @param bundle the bundle's bytes
   * @param trusted the keys whose signatures are accepted
   * @param model the model, for messages, or null
   * @param version the version, for messages, or null
   * @return the verified statement
   * @throws ModelSignatureException if the bundle is malformed, no trusted key signed it, or the
   *     signature does not verify
   */
  public static SignedStatement verifyBundle(byte[] bundle, Collection<PublicKey> trusted, String model,
      String version) {
    if (trusted.isEmpty()) {
      throw new ModelSignatureException(Reason.UNTRUSTED_KEY, "no trusted public keys are configured", model,
          version, null);
    }
    JsonNode b = parse(bundle, "the bundle", model, version);
    // every byte of a bundle counts: fields this code does not read are refused, not skipped
    known(b, "the bundle", model, version, "mediaType", "verificationMaterial", "dsseEnvelope");
    JsonNode material = b.path("verificationMaterial");
    known(material, "verificationMaterial", model, version, "publicKey", "tlogEntries");
    known(material.path("publicKey"), "publicKey", model, version, "hint", "rawBytes", "keyDetails");
    require(!material.path("tlogEntries").isArray() || material.path("tlogEntries").isEmpty(),
        "the bundle holds transparency-log entries; keyless (Sigstore) signatures are not supported, only keys",
        model, version);
    require(BUNDLE_MEDIA_TYPE.equals(b.path("mediaType").asText(null)), "mediaType is "
        + b.path("mediaType") + ", expected " + BUNDLE_MEDIA_TYPE, model, version);
    JsonNode env = b.path("dsseEnvelope");
    require(env.isObject(), "the bundle holds no dsseEnvelope (message signatures are not model signatures)",
        model, version);
    known(env, "dsseEnvelope", model, version, "payload", "payloadType", "signatures");
    require(PAYLOAD_TYPE.equals(env.path("payloadType").asText(null)), "payloadType is " + env.path("payloadType")
        + ", expected " + PAYLOAD_TYPE, model, version);
    byte[] payload = base64(env.path("payload"), "the payload", model, version);
    JsonNode sigs = env.path("signatures");
    require(sigs.isArray() && sigs.size() == 1, "the envelope must hold exactly one signature, it holds "
        + (sigs.isArray() ? sigs.size() : "none"), model, version);
    known(sigs.get(0), "the signature", model, version, "sig", "keyid");
    JsonNode keyid = sigs.get(0).path("keyid");
    require(keyid.isMissingNode() || keyid.isNull() || keyid.asText().isEmpty(),
        "the signature names a key id; keys are found by the public-key hint", model, version);
    byte[] sig = base64(sigs.get(0).path("sig"), "the signature", model, version);
    String hint = material.path("publicKey").path("hint").asText("");
    String rawKey = material.path("publicKey").has("rawBytes")
        ? new String(base64(material.path("publicKey").path("rawBytes"), "publicKey.rawBytes", model, version),
            StandardCharsets.US_ASCII) : null;
    byte[] signed = pae(payload);
    // the hint only orders the keys tried: a bundle never chooses which key is trusted
    List<PublicKey> order = new ArrayList<>(trusted);
    order.sort(Comparator.comparing(k -> SigningKeys.hint(k).equals(hint) ? 0 : 1));
    PublicKey signer = null;
    for (PublicKey k : order) {
      if (ecdsaVerifies(k, signed, sig)) {
        signer = k;
        break;
      }
    }
    if (signer != null && !hint.isEmpty() && !SigningKeys.hint(signer).equals(hint)) {
      throw new ModelSignatureException(Reason.MALFORMED, "the bundle's key hint " + abbrev(hint)
          + " is not the hint of the key that signed it (" + abbrev(SigningKeys.hint(signer)) + ")", model, version,
          null);
    }
    if (signer != null && rawKey != null && !samePublicKey(rawKey, signer)) {
      throw new ModelSignatureException(Reason.MALFORMED, "the bundle's public key is not the key that signed it",
          model, version, null);
    }
    if (signer == null) {
      boolean known = trusted.stream().anyMatch(k -> SigningKeys.hint(k).equals(hint));
      throw known
          ? new ModelSignatureException(Reason.BAD_SIGNATURE, "the signature of the trusted key " + abbrev(hint)
              + " does not verify: the signed statement or the signature was changed", model, version, null)
          : new ModelSignatureException(Reason.UNTRUSTED_KEY, "no trusted key made this signature (its key hint is "
              + (hint.isEmpty() ? "absent" : abbrev(hint)) + "; trusted: " + trusted.stream().map(SigningKeys::hint)
              .map(ModelSignatures::abbrev).toList() + ")", model, version, null);
    }
    return statement(payload, signer, model, version);
  }

  /**
   * Verifies a folder against a bundle: the signature by a trusted key, then that the folder's
   * files (less the signer's ignore paths and {@code alsoIgnore}) are exactly the signed ones.
   * A single file may be given instead of a folder.
   *
   * @param folder the model folder (or file)
   * @param bundle the bundle's bytes
   * @param trusted the trusted keys
   * @param alsoIgnore relative paths not to hash besides those the signer ignored, such as the
   *     signature file when it lies inside the folder
   * @return the verified statement
   * @throws ModelSignatureException if the signature or the files do not verify
   * @throws IOException if the folder cannot be read
   */
  public static SignedStatement verifyFolder(Path folder, byte[] bundle, Collection<PublicKey> trusted,
      List<String> alsoIgnore) throws IOException {
    SignedStatement s = verifyBundle(bundle, trusted, null, null);
    SortedMap<String, String> actual;
    if (Files.isRegularFile(folder, LinkOption.NOFOLLOW_LINKS)) {
      actual = new TreeMap<>();
      String digest = sha256(folder);
      // model_signing names a single file's resource by its name (1.1) or "." (1.0)
      actual.put(s.resources().containsKey(".") ? "." : folder.getFileName().toString(), digest);
    } else {
      List<String> ignore = new ArrayList<>(s.ignorePaths());
      ignore.addAll(alsoIgnore);
      try {
        actual = digests(folder, ignore);
      } catch (SymlinkException e) {
        throw new ModelSignatureException(Reason.FILES_DIFFER, e.getMessage(), null, null, e);
      }
    }
    s.requireFiles(actual, null, null);
    return s;
  }

  /**
   * The SHA-256 of every regular file of a folder, by relative POSIX path, leaving out the
   * ignored paths; symbolic links are refused, as {@code model_signing} does by default.
   *
   * @param folder the folder
   * @param ignorePaths relative paths to leave out (files or folders)
   * @return path to hex digest, sorted
   * @throws IOException if a file cannot be read, or a symbolic link is found
   */
  public static SortedMap<String, String> digests(Path folder, Collection<String> ignorePaths) throws IOException {
    SignedStatement ignorer = new SignedStatement("", new TreeMap<>(), List.copyOf(ignorePaths), null);
    SortedMap<String, String> out = new TreeMap<>(CODE_POINTS);
    Path base = folder.toAbsolutePath().normalize();
    try (Stream<Path> walk = Files.walk(base)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (p.equals(base)) {
          continue;
        }
        String rel = base.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
        if (ignorer.ignores(rel)) {
          continue;
        }
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (a.isSymbolicLink()) {
          throw new SymlinkException(rel + " is a symbolic link; signed models may not hold links");
        }
        if (a.isRegularFile()) {
          out.put(rel, sha256(p));
        }
      }
    }
    return out;
  }

  /** DSSE's pre-authentication encoding of the payload. */
  static byte[] pae(byte[] payload) {
    byte[] head = ("DSSEv1 " + PAYLOAD_TYPE.length() + " " + PAYLOAD_TYPE + " " + payload.length + " ")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + payload.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(payload, 0, out, head.length, payload.length);
    return out;
  }

  private static SignedStatement statement(byte[] payload, PublicKey signer, String model, String version) {
    JsonNode st = parse(payload, "the signed statement", model, version);
    require(STATEMENT_TYPE.equals(st.path("_type").asText(null)), "_type is " + st.path("_type") + ", expected "
        + STATEMENT_TYPE, model, version);
    require(PREDICATE_TYPE.equals(st.path("predicateType").asText(null)), "predicateType is "
        + st.path("predicateType") + ", expected " + PREDICATE_TYPE, model, version);
    JsonNode subject = st.path("subject");
    require(subject.isArray() && subject.size() == 1, "the statement must have one subject", model, version);
    String rootDigest = subject.get(0).path("digest").path("sha256").asText("");
    JsonNode ser = st.path("predicate").path("serialization");
    require("files".equals(ser.path("method").asText(null)), "serialization method is " + ser.path("method")
        + "; only \"files\" (one digest per file) is supported, not shards", model, version);
    require("sha256".equals(ser.path("hash_type").asText(null)), "hash_type is " + ser.path("hash_type")
        + ", expected sha256", model, version);
    List<String> ignore = new ArrayList<>();
    for (JsonNode n : ser.path("ignore_paths")) {
      require(n.isTextual(), "ignore_paths must hold strings", model, version);
      ignore.add(n.asText());
    }
    JsonNode res = st.path("predicate").path("resources");
    require(res.isArray() && res.size() > 0, "the statement lists no resources", model, version);
    SortedMap<String, String> resources = new TreeMap<>(CODE_POINTS);
    List<String> order = new ArrayList<>();
    for (JsonNode r : res) {
      String name = r.path("name").asText(null);
      String digest = r.path("digest").asText("");
      require(name != null, "a resource has no name", model, version);
      require("sha256".equals(r.path("algorithm").asText(null)), "resource " + name + " uses algorithm "
          + r.path("algorithm") + ", expected sha256", model, version);
      require(HEX64.matcher(digest).matches(), "resource " + name + " has a malformed digest", model, version);
      try {
        if (!name.equals(".")) {
          checkPath(name);
        }
      } catch (IllegalArgumentException e) {
        throw new ModelSignatureException(Reason.MALFORMED, e.getMessage(), model, version, e);
      }
      require(resources.put(name, digest) == null, "resource " + name + " is listed twice", model, version);
      order.add(name);
    }
    String given = rootOf(order, resources);
    List<String> sorted = new ArrayList<>(order);
    sorted.sort(CODE_POINTS);
    require(rootDigest.equals(given) || rootDigest.equals(rootOf(sorted, resources)),
        "the subject digest is not the digest of the resources' digests", model, version);
    return new SignedStatement(subject.get(0).path("name").asText(""), resources, ignore, signer);
  }

  private static String rootOf(List<String> order, Map<String, String> resources) {
    MessageDigest md = sha256();
    order.forEach(n -> md.update(HexFormat.of().parseHex(resources.get(n))));
    return HexFormat.of().formatHex(md.digest());
  }

  /** A relative POSIX path with no empty, "." or ".." segment and no backslash or NUL. */
  static void checkPath(String name) {
    if (name.isEmpty() || name.startsWith("/") || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("resource name " + quote(name) + " is not a relative POSIX path");
    }
    for (String seg : name.split("/", -1)) {
      if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
        throw new IllegalArgumentException("resource name " + quote(name) + " has an empty, . or .. segment");
      }
    }
  }

  private static String quote(String s) {
    return "'" + s.replaceAll("\\p{Cntrl}", "?") + "'";
  }

  private static JsonNode parse(byte[] json, String what, String model, String version) {
    try {
      JsonNode n = JSON.readTree(json);
      require(n != null && n.isObject(), what + " is not a JSON object", model, version);
      return n;
    } catch (IOException e) {
      throw new ModelSignatureException(Reason.MALFORMED, what + " is not valid JSON: "
          + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()), model, version, e);
    }
  }

  private static byte[] base64(JsonNode n, String what, String model, String version) {
    require(n.isTextual(), what + " is missing", model, version);
    byte[] out;
    try {
      out = Base64.getDecoder().decode(n.asText());
    } catch (IllegalArgumentException e) {
      throw new ModelSignatureException(Reason.MALFORMED, what + " is not valid base64", model, version, e);
    }
    // one encoding per value: unused low bits set in the last character are a change, not noise
    require(Base64.getEncoder().encodeToString(out).equals(n.asText()), what + " is not canonical base64",
        model, version);
    return out;
  }

  private static void known(JsonNode node, String what, String model, String version, String... fields) {
    if (node.isMissingNode()) {
      return;
    }
    require(node.isObject(), what + " is not a JSON object", model, version);
    List<String> allowed = List.of(fields);
    node.fieldNames().forEachRemaining(f -> require(allowed.contains(f), what + " has an unknown field '"
        + f.replaceAll("\\p{Cntrl}", "?") + "'", model, version));
  }

  private static boolean samePublicKey(String pem, PublicKey key) {
    try {
      return java.util.Arrays.equals(SigningKeys.parsePublicKey(pem, "publicKey.rawBytes").getEncoded(),
          key.getEncoded());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static void require(boolean ok, String message, String model, String version) {
    if (!ok) {
      throw new ModelSignatureException(Reason.MALFORMED, message, model, version, null);
    }
  }

  private static String abbrev(String hint) {
    return hint.length() > 12 ? hint.substring(0, 12) + "…" : hint;
  }

  private static byte[] ecdsa(PrivateKey key, byte[] data) {
    try {
      Signature s = Signature.getInstance(SigningKeys.signatureAlgorithm(key));
      s.initSign(key);
      s.update(data);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing failed: " + e.getMessage(), e);
    }
  }

  private static boolean ecdsaVerifies(PublicKey key, byte[] data, byte[] sig) {
    try {
      Signature s = Signature.getInstance(SigningKeys.signatureAlgorithm(key));
      s.initVerify(key);
      s.update(data);
      return s.verify(sig);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false; // a malformed DER signature is a signature that does not verify
    }
  }

  static String sha256(Path file) throws IOException {
    MessageDigest md = sha256();
    byte[] buf = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** A symbolic link inside a folder being hashed. */
  static final class SymlinkException extends IOException {
    private static final long serialVersionUID = 1L;

    SymlinkException(String message) {
      super(message);
    }
  }
}
