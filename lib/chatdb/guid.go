package chatdb

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// GUIDs are unique per database yet reproducible: they hash the database's
// seed (kept in _SqliteDatabaseProperties) with the kind of row and its
// ROWID, so the same seed and the same inserts give the same goldens.

// rowHash is the digest every derived identifier comes from.
func rowHash(seed, kind string, rowid int64) [32]byte {
	return sha256.Sum256([]byte(seed + "\x00" + kind + "\x00" + strconv.FormatInt(rowid, 10)))
}

// DeriveGUID returns the uppercase UUID-form GUID of row rowid of kind
// ("message", "attachment") in a database with this seed. The version and
// variant bits are set as in a random (v4) UUID, which is what Messages uses.
func DeriveGUID(seed, kind string, rowid int64) string {
	h := rowHash(seed, kind, rowid)
	b := h[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	x := strings.ToUpper(hex.EncodeToString(b))
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// DeriveGroupIdentifier returns a group chat identifier like Apple's
// "chat123456789012345678" for chat rowid.
func DeriveGroupIdentifier(seed string, rowid int64) string {
	h := rowHash(seed, "chat", rowid)
	n := binary.BigEndian.Uint64(h[:8]) % 1_000_000_000_000_000_000
	return fmt.Sprintf("chat%018d", n)
}

// attachmentDirs are the two hashed directory levels Messages puts above an
// attachment's GUID directory: Attachments/<xx>/<yy>/<GUID>/<name>.
func attachmentDirs(guid string) (string, string) {
	h := sha256.Sum256([]byte(guid))
	x := hex.EncodeToString(h[:2])
	return x[0:2], x[2:4]
}
