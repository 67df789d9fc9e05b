using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Bootstrap.Builder.Images.Formats.Pe;

/// <summary>
/// Signs PE images for UEFI Secure Boot, in-process (no sbsign process per request): Microsoft's
/// "Windows Authenticode Portable Executable Signature Format" 1.0 and the "PE Format"
/// specification's "The Attribute Certificate Table (Image Only)". The image hash
/// (<see cref="ImageHash"/>) covers the file except CheckSum, the certificate-table directory
/// entry and the certificate table; the signature is a PKCS#7 SignedData (RFC 2315 section 9.1)
/// whose content is an SpcIndirectDataContent holding that hash, appended as a WIN_CERTIFICATE.
/// An image that is already signed keeps its signatures and gains one (firmware accepts an image
/// when any of them verifies).
/// </summary>
public sealed class AuthenticodeSigner(X509Certificate2 certificate, RSA key)
{
    private const string SpcIndirectDataOid = "1.3.6.1.4.1.311.2.1.4";
    private const string SpcPeImageDataOid = "1.3.6.1.4.1.311.2.1.15";
    private const string SpcSpOpusInfoOid = "1.3.6.1.4.1.311.2.1.12";
    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string ContentTypeOid = "1.2.840.113549.1.9.3";
    private const string MessageDigestOid = "1.2.840.113549.1.9.4";
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";

    /// <summary>WIN_CERTIFICATE's wRevision (WIN_CERT_REVISION_2_0) and wCertificateType (WIN_CERT_TYPE_PKCS_SIGNED_DATA).</summary>
    private const ushort Revision2 = 0x0200, PkcsSignedData = 0x0002;

    public X509Certificate2 Certificate => certificate;

    /// <summary>The image with one more signature, by this signer.</summary>
    public byte[] Sign(byte[] image)
    {
        var layout = PeLayout.Read(image);
        // An unsigned image is padded to 8 bytes first: the table must start 8-aligned, and the
        // padding, lying before the table, is part of the hashed image (as sbsign does).
        var body = image;
        if (layout.CertificateTableSize == 0)
        {
            body = new byte[Pad8(image.Length)];
            image.CopyTo(body, 0);
        }
        var signature = SignedData(ImageHash(body));
        var entryLength = 8 + signature.Length;
        var output = new byte[Pad8(body.Length) + Pad8(entryLength)];
        body.CopyTo(output, 0);
        var at = Pad8(body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(at), (uint)entryLength);
        BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at + 4), Revision2);
        BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(at + 6), PkcsSignedData);
        signature.CopyTo(output, at + 8);
        // The directory entry's "virtual address" of the certificate table is a file offset.
        var tableStart = layout.CertificateTableSize == 0 ? at : layout.CertificateTableOffset;
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(layout.CertificateDirectory), (uint)tableStart);
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(layout.CertificateDirectory + 4), (uint)(output.Length - tableStart));
        return output;
    }

    /// <summary>
    /// The Authenticode SHA-256 of a PE image ("Calculating the PE Image Hash", as EDK2's
    /// DxeImageVerificationLib computes it): the headers without CheckSum and the certificate
    /// directory entry, the sections' raw data in file order, then what follows them up to the
    /// certificate table.
    /// </summary>
    public static byte[] ImageHash(ReadOnlySpan<byte> image)
    {
        var layout = PeLayout.Read(image);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(image[..layout.CheckSum]);
        hash.AppendData(image[(layout.CheckSum + 4)..layout.CertificateDirectory]);
        hash.AppendData(image[(layout.CertificateDirectory + 8)..layout.SizeOfHeaders]);
        long hashed = layout.SizeOfHeaders;
        foreach (var (offset, size) in layout.Sections.Where(s => s.Size > 0).OrderBy(s => s.Offset))
        {
            hash.AppendData(image.Slice(offset, size));
            hashed += size;
        }
        var end = image.Length - layout.CertificateTableSize;
        if (end > hashed)
            hash.AppendData(image[(int)hashed..end]);
        return hash.GetHashAndReset();
    }

    /// <summary>The PKCS#7 SignedData over an SpcIndirectDataContent holding <paramref name="imageHash"/> (DER).</summary>
    private byte[] SignedData(byte[] imageHash)
    {
        var content = IndirectDataContent(imageHash);
        // Authenticode's messageDigest covers the content's value, without its SEQUENCE tag and length.
        AsnDecoder.ReadEncodedValue(content, AsnEncodingRules.DER, out var valueOffset, out var valueLength, out _);
        var digest = SHA256.HashData(content.AsSpan(valueOffset, valueLength));
        var signature = key.SignData(SignedAttributes(digest, tag: null), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())                                              // ContentInfo
        {
            w.WriteObjectIdentifier(SignedDataOid);
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
            using (w.PushSequence())                                          // SignedData
            {
                w.WriteInteger(1);
                using (w.PushSetOf())
                    Sha256Algorithm(w);
                using (w.PushSequence())                                      // contentInfo
                {
                    w.WriteObjectIdentifier(SpcIndirectDataOid);
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))
                        w.WriteEncodedValue(content);
                }
                using (w.PushSetOf(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))   // certificates [0] IMPLICIT
                    w.WriteEncodedValue(certificate.RawData);
                using (w.PushSetOf())                                         // signerInfos
                using (w.PushSequence())                                      // SignerInfo
                {
                    w.WriteInteger(1);
                    using (w.PushSequence())                                  // issuerAndSerialNumber
                    {
                        w.WriteEncodedValue(certificate.IssuerName.RawData);
                        w.WriteInteger(certificate.SerialNumberBytes.Span, new Asn1Tag(UniversalTagNumber.Integer));
                    }
                    Sha256Algorithm(w);
                    w.WriteEncodedValue(SignedAttributes(digest, new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)));
                    using (w.PushSequence())
                    {
                        w.WriteObjectIdentifier(RsaEncryptionOid);
                        w.WriteNull();
                    }
                    w.WriteOctetString(signature);
                }
            }
        }
        return w.Encode();
    }

    /// <summary>
    /// The authenticated attributes: contentType, messageDigest and an empty SpcSpOpusInfo. Signed
    /// as a universal SET; written into the SignerInfo as [0] IMPLICIT (RFC 2315 section 9.3).
    /// </summary>
    private static byte[] SignedAttributes(byte[] contentDigest, Asn1Tag? tag)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSetOf(tag))
        {
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(ContentTypeOid);
                using (w.PushSetOf())
                    w.WriteObjectIdentifier(SpcIndirectDataOid);
            }
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(SpcSpOpusInfoOid);
                using (w.PushSetOf())
                using (w.PushSequence())
                {
                }
            }
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(MessageDigestOid);
                using (w.PushSetOf())
                    w.WriteOctetString(contentDigest);
            }
        }
        return w.Encode();
    }

    /// <summary>
    /// SpcIndirectDataContent (Authenticode 1.0, "Authenticode-Specific Structures"): the
    /// SpcPeImageData type with no flags and the customary obsolete file link, and the image's
    /// SHA-256 as a DigestInfo.
    /// </summary>
    private static byte[] IndirectDataContent(byte[] imageHash)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            using (w.PushSequence())                                          // SpcAttributeTypeAndOptionalValue
            {
                w.WriteObjectIdentifier(SpcPeImageDataOid);
                using (w.PushSequence())                                      // SpcPeImageData
                {
                    w.WriteBitString([]);                                     // flags: none
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true)))   // file: SpcLink
                    using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 2, isConstructed: true)))   // file [2]: SpcString
                        w.WriteCharacterString(UniversalTagNumber.BMPString, "<<<Obsolete>>>", new Asn1Tag(TagClass.ContextSpecific, 0));
                }
            }
            using (w.PushSequence())                                          // DigestInfo
            {
                Sha256Algorithm(w);
                w.WriteOctetString(imageHash);
            }
        }
        return w.Encode();
    }

    private static void Sha256Algorithm(AsnWriter w)
    {
        using (w.PushSequence())
        {
            w.WriteObjectIdentifier(Sha256Oid);
            w.WriteNull();
        }
    }

    private static int Pad8(int length) => (length + 7) & ~7;
}

/// <summary>The offsets of a PE image that Authenticode needs ("PE Format": "Optional Header Data Directories", "Section Table").</summary>
internal sealed record PeLayout(int CheckSum, int CertificateDirectory, int SizeOfHeaders, int CertificateTableOffset, int CertificateTableSize,
    IReadOnlyList<(int Offset, int Size)> Sections)
{
    public static PeLayout Read(ReadOnlySpan<byte> image)
    {
        if (image.Length < 0x40 || image[0] != 'M' || image[1] != 'Z')
            throw new FormatException("not a PE image (no MZ header)");
        var pe = BinaryPrimitives.ReadInt32LittleEndian(image[0x3C..]);
        if (pe < 0 || pe + 24 > image.Length || BinaryPrimitives.ReadUInt32LittleEndian(image[pe..]) != 0x0000_4550)
            throw new FormatException("not a PE image (no PE\\0\\0 signature)");
        var coff = pe + 4;
        var optional = coff + 20;
        var directories = BinaryPrimitives.ReadUInt16LittleEndian(image[optional..]) switch
        {
            0x20B => optional + 112,                                          // PE32+
            0x10B => optional + 96,                                           // PE32
            _ => throw new FormatException("unknown optional header magic"),
        };
        var certificateDirectory = directories + 4 * 8;                       // data directory 4: the certificate table
        int sections = BinaryPrimitives.ReadUInt16LittleEndian(image[(coff + 2)..]);
        var table = optional + BinaryPrimitives.ReadUInt16LittleEndian(image[(coff + 16)..]);
        var list = new List<(int, int)>();
        for (var i = 0; i < sections; i++)
        {
            var header = table + i * 40;
            var size = BinaryPrimitives.ReadInt32LittleEndian(image[(header + 16)..]);       // SizeOfRawData
            var offset = BinaryPrimitives.ReadInt32LittleEndian(image[(header + 20)..]);     // PointerToRawData
            if (size < 0 || offset < 0 || (long)offset + size > image.Length)
                throw new FormatException($"section {i} lies outside the file");
            list.Add((offset, size));
        }
        var certificateOffset = BinaryPrimitives.ReadInt32LittleEndian(image[certificateDirectory..]);
        var certificateSize = BinaryPrimitives.ReadInt32LittleEndian(image[(certificateDirectory + 4)..]);
        if (certificateSize != 0 && (certificateOffset < 0 || certificateSize < 0 || (long)certificateOffset + certificateSize != image.Length))
            throw new FormatException("the certificate table is not at the end of the file");
        return new PeLayout(optional + 64, certificateDirectory, BinaryPrimitives.ReadInt32LittleEndian(image[(optional + 60)..]),
            certificateOffset, certificateSize, list);
    }
}
