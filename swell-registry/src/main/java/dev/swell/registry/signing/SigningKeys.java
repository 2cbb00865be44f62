package dev.swell.registry.signing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ECDSA keys for signing model versions, as PEM files, from the JDK alone.
 *
 * <p>New keys are P-256, the curve {@code model_signing sign key} accepts for plain keys; P-384
 * and P-521 keys made elsewhere are read and verified too. Private keys are unencrypted PKCS#8
 * ({@code -----BEGIN PRIVATE KEY-----}; convert an OpenSSL {@code EC PRIVATE KEY} with
 * {@code openssl pkcs8 -topk8 -nocrypt}); public keys are SubjectPublicKeyInfo
 * ({@code -----BEGIN PUBLIC KEY-----}).
 */
public final class SigningKeys {

  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");

  private SigningKeys() {}

  /**
   * Generates a P-256 key pair.
   *
   * @return a new key pair
   */
  public static KeyPair generate() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate P-256 keys", e);
    }
  }

  /**
   * Encodes a public key as PEM exactly as {@code model_signing} (Python {@code cryptography})
   * does: 64-column base64 lines, a final newline. Its SHA-256 is the bundle's key hint.
   *
   * @param key an EC public key
   * @return the PEM text
   */
  public static String publicKeyPem(PublicKey key) {
    return pem("PUBLIC KEY", key.getEncoded());
  }

  /**
   * Encodes a private key as unencrypted PKCS#8 PEM. Keep the file private (mode 0600).
   *
   * @param key an EC private key
   * @return the PEM text
   */
  public static String privateKeyPem(PrivateKey key) {
    return pem("PRIVATE KEY", key.getEncoded());
  }

  /**
   * The public-key hint a bundle carries: the hex SHA-256 of {@link #publicKeyPem(PublicKey)}.
   *
   * @param key the public key
   * @return 64 hex digits
   */
  public static String hint(PublicKey key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(publicKeyPem(key).getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /**
   * Reads a PEM public key.
   *
   * @param file the {@code .pem} file
   * @return the key
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it holds no EC public key, with what it holds instead
   */
  public static PublicKey readPublicKey(Path file) throws IOException {
    return parsePublicKey(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
  }

  /**
   * Reads a PEM private key (unencrypted PKCS#8).
   *
   * @param file the {@code .pem} file
   * @return the key
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it holds no unencrypted EC PKCS#8 key, with what it holds instead
   */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    return parsePrivateKey(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
  }

  /**
   * Parses a PEM public key.
   *
   * @param pem the PEM text
   * @param source where it came from, for messages
   * @return the key
   * @throws IllegalArgumentException if the text holds no EC public key
   */
  public static PublicKey parsePublicKey(String pem, String source) {
    return parse(pem, "PUBLIC KEY", source, "public", (f, der) -> f.generatePublic(new X509EncodedKeySpec(der)));
  }

  /**
   * Parses a PEM private key (unencrypted PKCS#8).
   *
   * @param pem the PEM text
   * @param source where it came from, for messages
   * @return the key
   * @throws IllegalArgumentException if the text holds no EC PKCS#8 key
   */
  public static PrivateKey parsePrivateKey(String pem, String source) {
    return parse(pem, "PRIVATE KEY", source, "private", (f, der) -> f.generatePrivate(new PKCS8EncodedKeySpec(der)));
  }

  /** Decodes one kind of key. */
  private interface Decoder<K extends java.security.Key> {
    K decode(KeyFactory factory, byte[] der) throws GeneralSecurityException;
  }

  private static <K extends java.security.Key> K parse(String pem, String type, String source, String half,
      Decoder<K> decoder) {
    byte[] der = block(pem, type, source);
    try {
      K key = decoder.decode(KeyFactory.getInstance("EC"), der);
      curve(key, source);
      return key;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(source + " is not an EC " + half + " key (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Whether a public key is the public half of a private key (checked by signing and verifying).
   *
   * @param privateKey the private key
   * @param publicKey the public key
   * @return true if they form a pair
   */
  public static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
    try {
      if (curve(publicKey, "the public key") != curve(privateKey, "the private key")) {
        return false;
      }
      String alg = signatureAlgorithm(privateKey);
      byte[] probe = "swell key pair check".getBytes(StandardCharsets.US_ASCII);
      java.security.Signature s = java.security.Signature.getInstance(alg);
      s.initSign(privateKey);
      s.update(probe);
      byte[] sig = s.sign();
      java.security.Signature v = java.security.Signature.getInstance(alg);
      v.initVerify(publicKey);
      v.update(probe);
      return v.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** The ECDSA signature algorithm of a key's curve, as model_signing pairs them. */
  static String signatureAlgorithm(java.security.Key key) {
    int bits = curve(key, "the key");
    return bits == 256 ? "SHA256withECDSA" : bits == 384 ? "SHA384withECDSA" : "SHA512withECDSA";
  }

  /** The curve's field size in bits: 256, 384 or 521; anything else is refused. */
  static int curve(java.security.Key key, String source) {
    if (!(key instanceof ECKey)) {
      throw new IllegalArgumentException(source + " holds a " + key.getAlgorithm()
          + " key; model signing uses ECDSA keys on P-256, P-384 or P-521");
    }
    int bits = ((ECKey) key).getParams().getCurve().getField().getFieldSize();
    if (bits != 256 && bits != 384 && bits != 521) {
      throw new IllegalArgumentException(source + " holds an EC key of " + bits
          + " bits; model signing uses P-256, P-384 or P-521");
    }
    return bits;
  }

  private static byte[] block(String pem, String type, String source) {
    Matcher m = PEM.matcher(pem);
    if (!m.find()) {
      throw new IllegalArgumentException(source + " is not a PEM file (no -----BEGIN ...----- block)");
    }
    if (!m.group(1).equals(type)) {
      String hint = m.group(1).equals("EC PRIVATE KEY")
          ? "; convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pkcs8.pem"
          : m.group(1).equals("ENCRYPTED PRIVATE KEY") ? "; encrypted keys are not supported, decrypt it first" : "";
      throw new IllegalArgumentException(source + " holds a " + m.group(1) + ", expected a " + type + hint);
    }
    try {
      return Base64.getMimeDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": the " + type + " block is not valid base64", e);
    }
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }
}
