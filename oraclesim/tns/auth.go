package tns

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// verifier11g is the 11g password verifier type (SHA-1 of password and
// salt). Clients accept it from any server and it needs no key stretching,
// which keeps logons cheap.
const verifier11g = 6949

// authState is the server side of the O5LOGON exchange. The listener only
// needs it to check a configured password: it hands the client a session
// key encrypted under the password's verifier, and later decrypts the
// client's session key and password with the same verifier.
type authState struct {
	salt      []byte
	serverKey []byte // 48 random bytes
	password  string // configured password, empty when any is accepted
}

func newAuthState(password string) (*authState, error) {
	a := &authState{salt: make([]byte, 10), serverKey: make([]byte, 48), password: password}
	if _, err := rand.Read(a.salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(a.serverKey); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *authState) verifierKey() []byte {
	h := sha1.Sum(append([]byte(a.password), a.salt...))
	return append(h[:], 0, 0, 0, 0) // 24 bytes: AES-192
}

// encServerKey is AUTH_SESSKEY sent to the client.
func (a *authState) encServerKey() (string, error) {
	out, err := aesCBC(a.verifierKey(), a.serverKey, true)
	if err != nil {
		return "", err
	}
	return strings.ToUpper(hex.EncodeToString(out)), nil
}

// saltHex is AUTH_VFR_DATA sent to the client.
func (a *authState) saltHex() string { return strings.ToUpper(hex.EncodeToString(a.salt)) }

// checkPassword decrypts the password a client sent and compares it with the
// configured one. Any decryption failure means the client used another
// password, since every key it used derives from it.
func (a *authState) checkPassword(encClientKey, encPassword string) error {
	ck, err := hex.DecodeString(encClientKey)
	if err != nil || len(ck) < 40 || len(ck)%16 != 0 {
		return errors.New("malformed AUTH_SESSKEY")
	}
	clientKey, err := aesCBC(a.verifierKey(), ck, false)
	if err != nil {
		return err
	}
	var mix [24]byte
	for i := range mix {
		mix[i] = a.serverKey[16+i] ^ clientKey[16+i]
	}
	h1 := md5.Sum(mix[:16])
	h2 := md5.Sum(mix[16:])
	key := append(h1[:], h2[:8]...)
	ep, err := hex.DecodeString(encPassword)
	if err != nil || len(ep) == 0 || len(ep)%16 != 0 {
		return errors.New("malformed AUTH_PASSWORD")
	}
	plain, err := aesCBC(key, ep, false)
	if err != nil {
		return err
	}
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > 16 || pad > len(plain)-16 {
		return errors.New("password mismatch")
	}
	got := plain[16 : len(plain)-pad]
	if subtle.ConstantTimeCompare(got, []byte(a.password)) != 1 {
		return errors.New("password mismatch")
	}
	return nil
}

// aesCBC encrypts or decrypts whole blocks with a zero IV, as O5LOGON does.
func aesCBC(key, in []byte, encrypt bool) ([]byte, error) {
	blk, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(in)%blk.BlockSize() != 0 {
		return nil, fmt.Errorf("length %d is not a multiple of the block size", len(in))
	}
	out := make([]byte, len(in))
	iv := make([]byte, blk.BlockSize())
	if encrypt {
		cipher.NewCBCEncrypter(blk, iv).CryptBlocks(out, in)
	} else {
		cipher.NewCBCDecrypter(blk, iv).CryptBlocks(out, in)
	}
	return out, nil
}
