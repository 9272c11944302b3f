package spec

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// vectorDir is the shared copy of the golden vectors (from the repository
// root, ../shared/vectors); testdata/vectors is the package's own copy,
// used when the shared one is not there.
func vectorFS(t testing.TB) fs.FS {
	t.Helper()
	shared := filepath.Join("..", "..", "shared", "vectors")
	if _, err := os.Stat(shared); err != nil {
		t.Logf("no %s; using testdata/vectors", shared)
		return os.DirFS(filepath.Join("testdata", "vectors"))
	}
	return os.DirFS(shared)
}

func TestVectorCopyMatchesShared(t *testing.T) {
	shared := filepath.Join("..", "..", "shared", "vectors")
	if _, err := os.Stat(shared); err != nil {
		t.Skip("shared vectors not present")
	}
	names, err := filepath.Glob(filepath.Join(shared, "*"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no shared vectors: %v", err)
	}
	for _, name := range names {
		want, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("testdata", "vectors", filepath.Base(name)))
		if err != nil {
			t.Errorf("testdata copy of %s: %v", filepath.Base(name), err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/vectors/%s differs from the shared copy", filepath.Base(name))
		}
	}
}

func TestGoldenVectors(t *testing.T) {
	vs, err := loadVectors(vectorFS(t), ".")
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) < 12 {
		t.Fatalf("only %d vectors", len(vs))
	}
	for i := range vs {
		v := &vs[i]
		t.Run(v.name, func(t *testing.T) {
			if err := checkVector(v); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestGoldenAnswers(t *testing.T) {
	vs, err := loadVectors(vectorFS(t), ".")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*vector{}
	for i := range vs {
		byName[vs[i].name] = &vs[i]
	}
	for _, av := range answerVectors {
		t.Run(av.answer, func(t *testing.T) {
			ans := byName[av.answer]
			if ans == nil {
				t.Fatalf("missing vector %s", av.answer)
			}
			var frame []byte
			if av.request == "" {
				if frame, err = requestFromAnswer(ans); err != nil {
					t.Fatal(err)
				}
			} else {
				frame = byName[av.request].frame
			}
			if err := checkAnswer(ans, frame, &av.decision); err != nil {
				t.Error(err)
			}
		})
	}
}

// A vector whose bytes are changed must fail: the checks compare, not just
// decode.
func TestGoldenVectorsDetectChanges(t *testing.T) {
	vs, err := loadVectors(vectorFS(t), ".")
	if err != nil {
		t.Fatal(err)
	}
	for i := range vs {
		v := vs[i]
		v.frame = append([]byte(nil), v.frame...)
		v.frame[len(v.frame)-1] ^= 0x01
		if err := checkVector(&v); err == nil {
			t.Errorf("%s: a changed last byte went unnoticed", v.name)
		}
	}
}
